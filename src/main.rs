//! The `healthblog` command: everything it does is in the library's `cli`.

fn main() -> std::process::ExitCode {
    healthblog::cli::main()
}
