//! Applies pending schema migrations when invoked (once after each deploy).

fn main() -> Result<(), lambda_runtime::Error> {
    functions::main_migrate()
}
