//! `ondo`: a thin wrapper over the library's CLI.

// mimalloc instead of glibc's malloc: imports allocate and free millions of small strings,
// and glibc spent a fifth of an import's time in malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    ondo_app::cli::main()
}
