//! Lambda function of the HTTP API's `$default` route: every request that no other route
//! matches gets the contract's 404 (or 405 with `Allow` on a known path) in the envelope.

fn main() -> Result<(), lambda_http::Error> {
    functions::main_not_found()
}
