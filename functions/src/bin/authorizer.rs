//! Lambda authorizer of the HTTP API: verifies the session token, passes the caller on.

fn main() -> Result<(), lambda_runtime::Error> {
    functions::main_authorizer()
}
