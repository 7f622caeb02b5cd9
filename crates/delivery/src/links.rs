//! Signed, expiring, revocable links to a recording's audio.
//!
//! ```text
//! {public_url}/links/{recording_id}.{ext}?d={destination_id}&e={unix_expiry}&s={sig}
//! sig = base64url(HMAC-SHA256(link_key, "v1|{destination}|{recording}|{ext}|{expiry}"))
//! ```
//!
//! The path ends in the served file's extension because CRM players look at
//! it before they play. The extension is also what is signed as the link's
//! format: `mp3`, `wav` and `opus` name a derived format unless the
//! recording is stored in that family, and the stored format's own
//! extension (`opus`, `wav`, `flac`, `mp3`) names the original
//! ([`link_extension`], [`format_for_extension`]). A recording is never
//! transcoded into its own family: an MP3 is delivered as stored, and so is
//! a WAV, G.711 or not.
//!
//! Each destination has its own `link_key` (32 random bytes, kept in the
//! catalog): rotating it revokes every link of that destination at once.
//! Signing and verifying are pure: the caller passes the expiry and `now`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callvault_model::{AudioFormat, RecordingId};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::channel::DeliveryFormat;

/// Length of the link keys the catalog generates.
pub const LINK_KEY_LEN: usize = 32;
/// Shortest key [`LinkSigner::new`] accepts.
pub const MIN_LINK_KEY_LEN: usize = 16;
/// The route under the public URL.
pub const LINK_PATH: &str = "/links/";

type HmacSha256 = Hmac<Sha256>;

/// Why a link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a link this module made (a missing or unparsable part).
    #[error("malformed link: {0}")]
    Malformed(&'static str),
    /// A genuine link past its expiry.
    #[error("link expired")]
    Expired,
    /// The signature does not match: tampered with, or the destination's
    /// key was rotated (the link was revoked), or an unknown destination.
    #[error("bad link signature")]
    BadSignature,
    /// A link key too short to sign with.
    #[error("link key shorter than {MIN_LINK_KEY_LEN} bytes")]
    WeakKey,
}

/// The extension a link (and the file a channel sends) carries for
/// `format` of a recording stored as `stored`.
pub fn link_extension(stored: AudioFormat, format: DeliveryFormat) -> &'static str {
    match format {
        DeliveryFormat::Original => stored.extension(),
        DeliveryFormat::Mp3 => "mp3",
        DeliveryFormat::Wav => "wav",
        DeliveryFormat::Opus => "opus",
    }
}

/// The format a link's extension asks for, for a recording stored as
/// `stored`: the stored format's own extension is the original; `mp3`,
/// `wav`, `opus` are derived; anything else is no format of this recording.
pub fn format_for_extension(stored: AudioFormat, ext: &str) -> Option<DeliveryFormat> {
    if ext == stored.extension() {
        return Some(DeliveryFormat::Original);
    }
    match ext {
        "mp3" => Some(DeliveryFormat::Mp3),
        "wav" => Some(DeliveryFormat::Wav),
        "opus" => Some(DeliveryFormat::Opus),
        _ => None,
    }
}

/// The format actually served for `format` of a recording stored as
/// `stored`: a derived format of the stored family is the original.
pub fn effective_format(stored: AudioFormat, format: DeliveryFormat) -> DeliveryFormat {
    let family = match format {
        DeliveryFormat::Original => return DeliveryFormat::Original,
        DeliveryFormat::Mp3 => AudioFormat::Mp3,
        DeliveryFormat::Wav => AudioFormat::Wav,
        DeliveryFormat::Opus => AudioFormat::Opus,
    };
    if family == stored { DeliveryFormat::Original } else { format }
}

/// A link as it arrived, parsed but not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub recording_id: RecordingId,
    /// The extension of the path, lowercase as signed.
    pub extension: String,
    pub destination_id: Uuid,
    /// Unix seconds.
    pub expires: u64,
    signature: Vec<u8>,
}

impl LinkToken {
    /// Parses the last path segment (`{recording_id}.{ext}`) and the query
    /// string (without `?`; unknown parameters are ignored, a repeated
    /// `d`, `e` or `s` is malformed).
    pub fn parse(file: &str, query: &str) -> Result<Self, LinkError> {
        let (id, ext) = file.rsplit_once('.').ok_or(LinkError::Malformed("no extension"))?;
        let recording_id =
            id.parse::<RecordingId>().map_err(|_| LinkError::Malformed("recording id"))?;
        if ext.is_empty()
            || ext.len() > 8
            || !ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(LinkError::Malformed("extension"));
        }
        let (mut d, mut e, mut s) = (None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match k {
                "d" => &mut d,
                "e" => &mut e,
                "s" => &mut s,
                _ => continue,
            };
            if slot.replace(v).is_some() {
                return Err(LinkError::Malformed("repeated parameter"));
            }
        }
        let destination_id =
            d.and_then(|d| Uuid::parse_str(d).ok()).ok_or(LinkError::Malformed("destination"))?;
        let expires = e
            .filter(|e| !e.is_empty() && e.len() <= 20 && e.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|e| e.parse::<u64>().ok())
            .ok_or(LinkError::Malformed("expiry"))?;
        let signature = s
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .filter(|s| s.len() == 32)
            .ok_or(LinkError::Malformed("signature"))?;
        Ok(LinkToken {
            recording_id,
            extension: ext.to_owned(),
            destination_id,
            expires,
            signature,
        })
    }

    /// Parses a whole link (`…/links/{id}.{ext}?…`), as a channel made it.
    pub fn parse_url(url: &str) -> Result<Self, LinkError> {
        let (path, query) = url.split_once('?').ok_or(LinkError::Malformed("no query"))?;
        let at = path.rfind(LINK_PATH).ok_or(LinkError::Malformed("not a link path"))?;
        Self::parse(&path[at + LINK_PATH.len()..], query)
    }
}

/// A link that verified: who it was made for and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLink {
    pub destination_id: Uuid,
    pub recording_id: RecordingId,
    /// Map to a format with [`format_for_extension`] once the recording's
    /// stored format is known.
    pub extension: String,
    pub expires: u64,
}

/// Signs and verifies the links of one destination.
#[derive(Clone)]
pub struct LinkSigner {
    mac: HmacSha256,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

impl LinkSigner {
    /// A signer over a destination's link key ([`LINK_KEY_LEN`] bytes as the
    /// catalog makes them; at least [`MIN_LINK_KEY_LEN`]).
    pub fn new(link_key: &[u8]) -> Result<Self, LinkError> {
        if link_key.len() < MIN_LINK_KEY_LEN {
            return Err(LinkError::WeakKey);
        }
        let mac = HmacSha256::new_from_slice(link_key).map_err(|_| LinkError::WeakKey)?;
        Ok(LinkSigner { mac })
    }

    fn mac(
        &self,
        destination: Uuid,
        recording: RecordingId,
        ext: &str,
        expires: u64,
    ) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(format!("v1|{destination}|{recording}|{ext}|{expires}").as_bytes());
        mac
    }

    /// The signature (base64url, no padding) of a link.
    pub fn sign(
        &self,
        destination: Uuid,
        recording: RecordingId,
        ext: &str,
        expires: u64,
    ) -> String {
        let tag = self.mac(destination, recording, ext, expires).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(tag)
    }

    /// The link to `recording` as `ext`, valid until `expires` (Unix
    /// seconds). `public_url` is the server's external base URL.
    pub fn link(
        &self,
        public_url: &str,
        destination: Uuid,
        recording: RecordingId,
        ext: &str,
        expires: u64,
    ) -> String {
        let sig = self.sign(destination, recording, ext, expires);
        let base = public_url.trim_end_matches('/');
        format!("{base}{LINK_PATH}{recording}.{ext}?d={destination}&e={expires}&s={sig}")
    }

    /// Checks a link's signature (in constant time) and then its expiry
    /// against `now` (Unix seconds): a link is good up to and including
    /// its expiry second.
    pub fn verify(&self, token: &LinkToken, now: u64) -> Result<VerifiedLink, LinkError> {
        self.mac(token.destination_id, token.recording_id, &token.extension, token.expires)
            .verify_slice(&token.signature)
            .map_err(|_| LinkError::BadSignature)?;
        if now > token.expires {
            return Err(LinkError::Expired);
        }
        Ok(VerifiedLink {
            destination_id: token.destination_id,
            recording_id: token.recording_id,
            extension: token.extension.clone(),
            expires: token.expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn link() -> (LinkSigner, Uuid, RecordingId, String) {
        let s = LinkSigner::new(&KEY).unwrap();
        let d = Uuid::now_v7();
        let r = RecordingId::new();
        let url = s.link("https://vault.example.com/", d, r, "mp3", 1_000);
        (s, d, r, url)
    }

    #[test]
    fn a_link_verifies_until_it_expires() {
        let (s, d, r, url) = link();
        assert!(
            url.starts_with(&format!("https://vault.example.com/links/{r}.mp3?d={d}&e=1000&s="))
        );
        let t = LinkToken::parse_url(&url).unwrap();
        let v = s.verify(&t, 1_000).unwrap();
        assert_eq!((v.destination_id, v.recording_id, v.extension.as_str()), (d, r, "mp3"));
        assert_eq!(s.verify(&t, 1_001), Err(LinkError::Expired));
    }

    #[test]
    fn tampering_with_any_field_fails() {
        let (s, d, r, url) = link();
        let other = RecordingId::new();
        let tampered = [
            url.replace(&r.to_string(), &other.to_string()),
            url.replace(".mp3?", ".wav?"),
            url.replace("e=1000", "e=9999"),
            url.replace(&format!("d={d}"), &format!("d={}", Uuid::now_v7())),
        ];
        for t in &tampered {
            assert_ne!(t, &url);
            let tok = LinkToken::parse_url(t).unwrap();
            assert_eq!(s.verify(&tok, 0), Err(LinkError::BadSignature), "{t}");
        }
        // A flipped signature character.
        let at = url.len() - 3;
        let mut bytes = url.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tok = LinkToken::parse_url(&String::from_utf8(bytes).unwrap()).unwrap();
        assert_eq!(s.verify(&tok, 0), Err(LinkError::BadSignature));
    }

    #[test]
    fn a_rotated_key_revokes_the_link() {
        let (_, _, _, url) = link();
        let rotated = LinkSigner::new(&[8; 32]).unwrap();
        let tok = LinkToken::parse_url(&url).unwrap();
        assert_eq!(rotated.verify(&tok, 0), Err(LinkError::BadSignature));
    }

    #[test]
    fn malformed_links_are_refused_before_any_crypto() {
        let (_, _, _, url) = link();
        let (path, query) = url.split_once('?').unwrap();
        let file = path.rsplit('/').next().unwrap();
        for (f, q) in [
            ("nodot", query),
            (&file.replace(".mp3", ".MP3")[..], query),
            ("not-a-uuid.mp3", query),
            (file, ""),
            (file, &query.replace("e=1000", "e=-1")[..]),
            (file, &query.replace("e=1000", "e=99999999999999999999999")[..]),
            (file, &format!("{query}&e=5")[..]),
            (file, &query.replace("s=", "s=%%")[..]),
            (file, &query[..query.len() - 4]),
        ] {
            assert!(matches!(LinkToken::parse(f, q), Err(LinkError::Malformed(_))), "{f}?{q}");
        }
        // Unknown parameters (cache busters) are ignored.
        assert!(LinkToken::parse(file, &format!("{query}&t=123")).is_ok());
        assert_eq!(LinkSigner::new(&[1; 8]).unwrap_err(), LinkError::WeakKey);
    }

    #[test]
    fn extensions_map_to_formats() {
        use AudioFormat as A;
        use DeliveryFormat as F;
        assert_eq!(link_extension(A::Opus, F::Original), "opus");
        assert_eq!(link_extension(A::Wav, F::Original), "wav");
        assert_eq!(link_extension(A::Flac, F::Original), "flac");
        assert_eq!(link_extension(A::Opus, F::Mp3), "mp3");
        assert_eq!(link_extension(A::Opus, F::Wav), "wav");
        assert_eq!(link_extension(A::Flac, F::Opus), "opus");
        assert_eq!(format_for_extension(A::Opus, "opus"), Some(F::Original));
        assert_eq!(format_for_extension(A::Opus, "mp3"), Some(F::Mp3));
        assert_eq!(format_for_extension(A::Mp3, "mp3"), Some(F::Original));
        assert_eq!(format_for_extension(A::Flac, "wav"), Some(F::Wav));
        assert_eq!(format_for_extension(A::Opus, "flac"), None);
        assert_eq!(format_for_extension(A::Opus, "exe"), None);
        // Never transcoded into its own family.
        assert_eq!(effective_format(A::Mp3, F::Mp3), F::Original);
        assert_eq!(effective_format(A::Wav, F::Wav), F::Original);
        assert_eq!(effective_format(A::Opus, F::Mp3), F::Mp3);
        // Every format round-trips through its extension.
        for stored in [A::Opus, A::Wav, A::Flac, A::Mp3] {
            for f in [F::Original, F::Mp3, F::Wav, F::Opus] {
                let ext = link_extension(stored, f);
                assert_eq!(format_for_extension(stored, ext), Some(effective_format(stored, f)));
            }
        }
    }
}
