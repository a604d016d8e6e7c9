//! The templates and static files are embedded in the binary (`include_dir!`
//! in `src/templates.rs` and `src/static_files.rs`). An edited file is
//! noticed through the `include_bytes!` they expand to; these lines make an
//! added or removed file rebuild the binary too.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=static");
}
