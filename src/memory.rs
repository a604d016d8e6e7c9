//! The server's memory, handed back to the system when a large piece of
//! work is done (glibc's allocator on Linux; nothing elsewhere).

/// Hands the allocator's free memory back to the system. A 12-megapixel
/// photo takes about a hundred megabytes while it is decoded and scaled, and
/// loading the articles with many pictures' sizes makes many small buffers.
/// Freed, glibc's allocator would keep them in the thread's heap, and the
/// server's resident memory would stay at its peak. Called once a picture's
/// sizes are made, once an upload is stored, and once the articles are loaded.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands the allocator's free pages back to the
    // system; it reads no memory of ours.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Buffers of 128 KiB and more (a picture's bytes, its sizes while they are
/// made, the ones kept in memory) each get a mapping of their own, handed
/// back to the system the moment they are freed. Without this, glibc raises
/// that threshold after the first such buffer is freed and takes the next
/// ones from its heaps, where the holes left by pictures dropped from the
/// cache of most-read sizes stay resident: with 1 GB of pictures read twice,
/// 20 MiB above the cache's budget.
pub fn map_large_buffers_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a threshold of the allocator; called before
    // the server's threads start, it changes nothing already allocated.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
