//! One SMTP session per attempt: connect (TLS, EHLO, AUTH) once, then one
//! transaction per recipient, each bounded by the command timeout.

use std::future::Future;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};
use lettre::transport::smtp::response::Response;

use super::config::{EmailDestination, TlsMode};
use super::reply::{Stage, Verdict, classify};

/// A failed step: what it means and what the server (or the network) said.
#[derive(Debug, Clone)]
pub struct Failure {
    pub verdict: Verdict,
    /// "452 4.2.2 Mailbox full", "connection refused", ... Never a secret.
    pub status: String,
    pub stage: Stage,
}

/// The server's accepting reply ("250 2.0.0 queued as ...").
pub type Accepted = String;

/// An SMTP session to one destination.
pub struct Session<'a> {
    dest: &'a EmailDestination,
    hello: ClientId,
    connect_timeout: Duration,
    command_timeout: Duration,
    conn: Option<AsyncSmtpConnection>,
}

fn reply_text(r: &Response) -> String {
    let text = r.message().collect::<Vec<_>>().join(" ");
    format!("{} {}", r.code(), text).trim_end().to_owned()
}

/// Turns lettre's error for `stage` into a [`Failure`].
fn failure(stage: Stage, e: &lettre::transport::smtp::Error) -> Failure {
    if let Some(code) = e.status() {
        let code_num = u16::from(code);
        let text = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
        let status = format!("{code_num} {text}").trim_end().to_owned();
        return Failure { verdict: classify(stage, code_num, &text), status, stage };
    }
    // No reply: refused, reset, TLS failure, an unreadable reply. Nothing
    // says the next attempt will fare the same.
    let mut status = e.to_string();
    status.truncate(300);
    Failure { verdict: Verdict::SessionTransient, status, stage }
}

fn timed_out(stage: Stage) -> Failure {
    Failure {
        verdict: Verdict::SessionTransient,
        status: format!("timed out waiting for the server ({})", stage.as_str()),
        stage,
    }
}

impl<'a> Session<'a> {
    pub fn new(
        dest: &'a EmailDestination,
        hello: ClientId,
        connect_timeout: Duration,
        command_timeout: Duration,
    ) -> Self {
        Session { dest, hello, connect_timeout, command_timeout, conn: None }
    }

    fn tls_parameters(&self) -> Result<TlsParameters, Failure> {
        let host = self.dest.config.host.trim().trim_start_matches('[').trim_end_matches(']');
        let mut b = TlsParameters::builder(host.to_owned());
        if let Some(pem) = &self.dest.config.tls_root_certificate_pem {
            let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| Failure {
                verdict: Verdict::SessionDead,
                status: format!("tls_root_certificate_pem: {e}"),
                stage: Stage::Connect,
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|e| Failure {
            verdict: Verdict::SessionDead,
            status: format!("tls settings: {e}"),
            stage: Stage::Connect,
        })
    }

    async fn connect(&mut self) -> Result<(), Failure> {
        let tls = match self.dest.config.tls {
            TlsMode::None => None,
            TlsMode::Starttls | TlsMode::Implicit => Some(self.tls_parameters()?),
        };
        let implicit = if self.dest.config.tls == TlsMode::Implicit { tls.clone() } else { None };
        let host = self.dest.config.host.trim().trim_start_matches('[').trim_end_matches(']');
        let addr = (host.to_owned(), self.dest.port);
        let limit = self.connect_timeout + self.command_timeout;
        let fut = AsyncSmtpConnection::connect_tokio1(
            addr,
            Some(self.connect_timeout),
            &self.hello,
            implicit,
            None,
        );
        let mut conn = run(Stage::Connect, limit, fut).await?;
        if self.dest.config.tls == TlsMode::Starttls {
            if !conn.can_starttls() {
                conn.abort().await;
                return Err(Failure {
                    verdict: Verdict::SessionDead,
                    status: "the server does not offer STARTTLS (tls is \"starttls\")".into(),
                    stage: Stage::Connect,
                });
            }
            let params = tls.clone().ok_or_else(|| timed_out(Stage::Connect))?;
            let hello = self.hello.clone();
            let limit = self.command_timeout;
            run(Stage::Connect, limit, conn.starttls(params, &hello)).await?;
        }
        if let (Some(user), Some(pass)) = (&self.dest.config.username, &self.dest.password) {
            let creds = Credentials::new(user.clone(), pass.expose().to_owned());
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            match tokio::time::timeout(self.command_timeout, conn.auth(&mechanisms, &creds)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    conn.abort().await;
                    let mut f = failure(Stage::Auth, &e);
                    if e.is_client() {
                        // No mechanism in common: a settings problem.
                        f.verdict = Verdict::SessionDead;
                        f.status = "the server offers neither AUTH PLAIN nor AUTH LOGIN".into();
                    }
                    return Err(f);
                }
                Err(_) => return Err(timed_out(Stage::Auth)),
            }
        }
        self.conn = Some(conn);
        Ok(())
    }

    /// Sends `message` from `from` to `to` in one transaction. A session
    /// failure (connect, 421, timeout, network) leaves the session closed;
    /// a recipient's refusal leaves it ready for the next transaction.
    pub async fn send(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> Result<Accepted, Failure> {
        if self.conn.as_ref().is_none_or(AsyncSmtpConnection::has_broken) {
            self.conn = None;
            self.connect().await?;
        }
        let result = self.transaction(from, to, message).await;
        if let Err(f) = &result {
            if matches!(f.verdict, Verdict::SessionTransient | Verdict::SessionDead) {
                if let Some(mut c) = self.conn.take() {
                    // Not after a timeout: the connection's state is unknown.
                    if !f.status.starts_with("timed out") {
                        c.abort().await;
                    }
                }
            } else if let Some(c) = self.conn.as_mut() {
                // End the refused transaction; a server that cannot is
                // reconnected to for the next recipient.
                let ok = tokio::time::timeout(self.command_timeout, c.command(Rset)).await;
                if !matches!(ok, Ok(Ok(_))) {
                    self.conn = None;
                }
            }
        }
        result
    }

    async fn transaction(
        &mut self,
        from: &Address,
        to: &Address,
        message: &[u8],
    ) -> Result<Accepted, Failure> {
        let limit = self.command_timeout;
        let Some(conn) = self.conn.as_mut() else { return Err(timed_out(Stage::Connect)) };
        let mut params = Vec::new();
        if !from.to_string().is_ascii() || !to.to_string().is_ascii() {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Failure {
                    verdict: Verdict::DeadRecipient,
                    status: "non-ASCII address but the server does not offer SMTPUTF8".into(),
                    stage: Stage::Mail,
                });
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        let mail = Mail::new(Some(from.clone()), params);
        run(Stage::Mail, limit, conn.command(mail)).await?;
        run(Stage::Rcpt, limit, conn.command(Rcpt::new(to.clone(), vec![]))).await?;
        run(Stage::Data, limit, conn.command(Data)).await?;
        // The message may be megabytes: allow for a slow link (64 KiB/s).
        let data_limit = limit + Duration::from_secs(message.len() as u64 / 65_536);
        let r = run(Stage::Message, data_limit, conn.message(message)).await?;
        Ok(reply_text(&r))
    }

    /// Ends the session politely.
    pub async fn quit(mut self) {
        if let Some(mut c) = self.conn.take() {
            let _ = tokio::time::timeout(self.command_timeout, c.quit()).await;
        }
    }
}

/// Runs one step under `limit`; a step that times out leaves the
/// connection in an unknown state, and the caller drops it.
async fn run<T>(
    stage: Stage,
    limit: Duration,
    fut: impl Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failure(stage, &e)),
        Err(_) => Err(timed_out(stage)),
    }
}
