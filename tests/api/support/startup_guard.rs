//! A loopback front for PostgreSQL that refuses startup options, as RDS Proxy does: a
//! connection whose startup packet carries `options` (`-c statement_timeout=...`, say) gets a
//! FATAL error instead of a session. The tests' API connects through it, so a setting sent that
//! way fails every test instead of failing only in a real deployment behind RDS Proxy.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// PostgreSQL's own limit on a startup packet.
const MAX_STARTUP_PACKET: usize = 10_000;
const PROTOCOL_3_0: u32 = 196_608;
const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// The message the guard answers a startup packet with options.
pub const REFUSAL: &str = "startup options are refused (RDS Proxy refuses them)";

/// Starts a guard in front of `upstream` (`host:port`) on a thread of its own and returns its
/// address. It lives as long as the test process.
pub fn start(upstream: String) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind startup guard");
    listener.set_nonblocking(true).expect("non-blocking guard");
    let address = listener.local_addr().expect("guard address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("guard runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("guard listener");
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    // A failed connection is the client's to notice; nothing to report here.
                    let _ = serve(client, &upstream).await;
                });
            }
        });
    });
    address
}

async fn serve(mut client: TcpStream, upstream: &str) -> std::io::Result<()> {
    loop {
        let packet = read_startup_packet(&mut client).await?;
        let code = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        match code {
            // No TLS on the loopback: say so, and the client goes on in plain text (or gives up).
            SSL_REQUEST | GSSENC_REQUEST => client.write_all(b"N").await?,
            PROTOCOL_3_0 if has_options(&packet[8..]) => {
                client.write_all(&fatal_error(REFUSAL)).await?;
                return client.shutdown().await;
            }
            // A startup without options, or a cancel request: pass it on untouched.
            _ => {
                let mut server = TcpStream::connect(upstream).await?;
                server.write_all(&packet).await?;
                tokio::io::copy_bidirectional(&mut client, &mut server).await?;
                return Ok(());
            }
        }
    }
}

async fn read_startup_packet(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 4];
    client.read_exact(&mut length).await?;
    let length = u32::from_be_bytes(length) as usize;
    if !(8..=MAX_STARTUP_PACKET).contains(&length) {
        return Err(std::io::Error::other("startup packet length out of range"));
    }
    let mut packet = vec![0u8; length];
    packet[..4].copy_from_slice(&(length as u32).to_be_bytes());
    client.read_exact(&mut packet[4..]).await?;
    Ok(packet)
}

/// Whether the NUL-separated name/value pairs of a startup packet name `options`.
fn has_options(parameters: &[u8]) -> bool {
    parameters
        .split(|&b| b == 0)
        .step_by(2)
        .any(|name| name == b"options")
}

/// A protocol-3 ErrorResponse with severity FATAL and SQLSTATE 0A000 (feature not supported).
fn fatal_error(message: &str) -> Vec<u8> {
    let mut fields = Vec::new();
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "0A000"),
        (b'M', message),
    ] {
        fields.push(tag);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut out = vec![b'E'];
    out.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
    out.extend_from_slice(&fields);
    out
}

#[cfg(test)]
mod tests {
    use super::has_options;

    #[test]
    fn finds_options_among_names_only() {
        assert!(has_options(b"user\0booking\0options\0-c x=1\0\0"));
        assert!(!has_options(b"user\0options\0database\0booking\0\0"));
        assert!(!has_options(b"user\0booking\0\0"));
    }
}
