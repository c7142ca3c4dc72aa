//! The `molt` command.

fn main() -> std::process::ExitCode {
    molt_cli::main()
}
