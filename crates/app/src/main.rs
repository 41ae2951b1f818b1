//! `ondo`: a thin wrapper over the library's CLI.

fn main() -> std::process::ExitCode {
    ondo_app::cli::main()
}
