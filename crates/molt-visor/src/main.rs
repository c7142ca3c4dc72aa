//! The `molt-visor` command.

fn main() -> std::process::ExitCode {
    molt_visor::main()
}
