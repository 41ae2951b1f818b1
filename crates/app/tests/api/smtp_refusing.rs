//! A real SMTP server on 127.0.0.1 that refuses chosen recipients, for the campaign
//! tests: `RCPT TO` of an address it was told about is answered with the given code (a
//! 550 refuses for good, a 451 asks to try later), a number of times or always; or, in
//! the DATA mode, the recipient is accepted and the message refused after its data was
//! sent (the reply to the final `.`), as a content filter does. Every message it accepts
//! is kept as a [`Received`] of `smtp_sink`, to be read with its helpers. A message is
//! refused as a whole when none of its recipients was accepted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::smtp_sink::Received;

/// How an address is answered at `RCPT TO`.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The reply line, e.g. `550 5.1.1 no such user`.
    pub reply: String,
    /// How many more times; `None` for always.
    pub times: Option<usize>,
}

#[derive(Default)]
struct Shared {
    messages: Vec<Received>,
    refusals: HashMap<String, Refusal>,
    /// Refusals given after DATA, by recipient.
    data_refusals: HashMap<String, Refusal>,
    /// Recipients refused so far, in order.
    refused: Vec<String>,
}

/// A running refusing sink; it stops with the test's runtime.
pub struct RefusingSink {
    /// `smtp://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl RefusingSink {
    pub async fn start() -> RefusingSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let kept = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, kept.clone()));
            }
        });
        RefusingSink {
            url: format!("smtp://{addr}"),
            shared,
        }
    }

    /// Answers `RCPT TO:<address>` with `reply` (`times` times, or always).
    pub fn refuse(&self, address: &str, reply: &str, times: Option<usize>) {
        self.shared.lock().expect("lock").refusals.insert(
            address.to_ascii_lowercase(),
            Refusal {
                reply: reply.to_string(),
                times,
            },
        );
    }

    /// Accepts `RCPT TO:<address>` but answers the end of a message to it with `reply`
    /// (`times` times, or always).
    pub fn refuse_data(&self, address: &str, reply: &str, times: Option<usize>) {
        self.shared.lock().expect("lock").data_refusals.insert(
            address.to_ascii_lowercase(),
            Refusal {
                reply: reply.to_string(),
                times,
            },
        );
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").messages.clone()
    }

    /// Every refused recipient so far, in order.
    pub fn refused(&self) -> Vec<String> {
        self.shared.lock().expect("lock").refused.clone()
    }
}

fn angle_address(arg: &str) -> String {
    let start = arg.find('<').map(|i| i + 1).unwrap_or(0);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg[start..end.max(start)].to_string()
}

/// The reply to `RCPT TO` of `address`: a refusal it still has, or 250.
fn rcpt_reply(shared: &Mutex<Shared>, address: &str) -> Option<String> {
    refusal_of(shared, address, false)
}

/// The refusal `address` still has, at `RCPT TO` or (`data`) at the end of DATA.
fn refusal_of(shared: &Mutex<Shared>, address: &str, data: bool) -> Option<String> {
    let mut s = shared.lock().expect("lock");
    let key = address.to_ascii_lowercase();
    let refusals = if data {
        &mut s.data_refusals
    } else {
        &mut s.refusals
    };
    let refusal = refusals.get_mut(&key)?;
    let reply = refusal.reply.clone();
    match refusal.times {
        Some(0) => return None,
        Some(n) => refusal.times = Some(n - 1),
        None => {}
    }
    s.refused.push(key);
    Some(reply)
}

async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write
        .write_all(b"220 refusing.test ESMTP ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            "250-refusing.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 refusing.test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = angle_address(&command["MAIL FROM:".len()..]);
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let address = angle_address(&command["RCPT TO:".len()..]);
            match rcpt_reply(&shared, &address) {
                Some(reply) => format!("{reply}\r\n"),
                None => {
                    to.push(address);
                    "250 OK\r\n".into()
                }
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "554 no valid recipients\r\n".into()
            } else {
                if write
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let refused = to.iter().find_map(|r| refusal_of(&shared, r, true));
                match refused {
                    Some(reply) => {
                        to.clear();
                        format!("{reply}\r\n")
                    }
                    None => {
                        shared.lock().expect("lock").messages.push(Received {
                            mail_from: from.clone(),
                            rcpt_to: std::mem::take(&mut to),
                            data,
                        });
                        "250 OK: queued\r\n".into()
                    }
                }
            }
        } else if upper == "RSET" {
            to.clear();
            "250 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 OK\r\n".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            "502 command not implemented\r\n".into()
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
