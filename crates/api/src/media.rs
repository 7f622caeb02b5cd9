//! The console's media routes: waveform peaks of a recording
//! (`GET /v1/recordings/{id}/peaks?bins=N`) and the MP3 form of its audio
//! (`GET /v1/recordings/{id}/audio?format=mp3`, whose original form is
//! served by the audio route itself).
//!
//! Both go through delivery's [`MediaService`]: the stored audio read
//! through the decrypting reader and its sha256 checked, decoded on a
//! blocking thread, the result cached as a derived object of the primary
//! store (`derived/{tenant}/{recording}/`), never for an encrypted
//! recording. Where the process runs without delivery, a service of this
//! request's own does the same.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use callvault_delivery::channel::{DeliveryFormat, MediaError};
use callvault_delivery::media_service::{MediaService, PEAKS_BINS, ServeError, parse_range};
use callvault_model::{Recording, RecordingId};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::{Caller, SharedState, parse_id};

/// Bins a peaks request may ask for.
pub const BINS: std::ops::RangeInclusive<usize> = 16..=PEAKS_BINS;
/// Bins when the request names none.
pub const DEFAULT_BINS: usize = 1000;

/// The routes under `/v1`.
pub(crate) fn v1_routes() -> Router<SharedState> {
    Router::new().route("/recordings/{id}/peaks", get(get_peaks))
}

#[derive(Debug, Deserialize)]
struct PeaksParams {
    bins: Option<String>,
}

/// One channel of [`PeaksDto`].
#[derive(Debug, Serialize)]
struct ChannelDto {
    /// `external` (left) and `company` (right) for stereo, `mono` otherwise.
    label: &'static str,
    min: Vec<i8>,
    max: Vec<i8>,
}

#[derive(Debug, Serialize)]
struct PeaksDto {
    recording_id: RecordingId,
    /// The decoded audio's length, which the bins divide equally.
    duration_ms: u64,
    bins: usize,
    channels: Vec<ChannelDto>,
}

async fn get_peaks(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<PeaksParams>,
) -> Result<Json<PeaksDto>, Problem> {
    let tenant = caller.tenant()?;
    let id: RecordingId = parse_id(&id, "recording")?;
    let bins = match params.bins.as_deref() {
        None => DEFAULT_BINS,
        Some(raw) => raw.parse::<usize>().ok().filter(|n| BINS.contains(n)).ok_or_else(|| {
            Problem::bad_request(
                "invalid_bins",
                format!("bins must be a whole number from {} to {}", BINS.start(), BINS.end()),
            )
        })?,
    };
    let rec = recording(&state, tenant, id).await?;
    let peaks = media_service(&state).peaks(&rec).await.map_err(media_problem)?.resample(bins);
    // A stereo recording carries the external party left, the company
    // right (capture and SIPREC render it so).
    let labels: &[&'static str] =
        if peaks.channels.len() == 2 { &["external", "company"] } else { &["mono"] };
    let duration_ms = peaks.duration_ms();
    let channels = peaks
        .channels
        .into_iter()
        .zip(labels)
        .map(|(c, label)| ChannelDto { label, min: c.min, max: c.max })
        .collect();
    Ok(Json(PeaksDto { recording_id: rec.id, duration_ms, bins, channels }))
}

/// Query parameters of `GET /v1/recordings/{id}/audio`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AudioParams {
    /// `original` (the default) or `mp3`.
    pub format: Option<String>,
    /// `1` or `true`: served as an attachment to save.
    pub download: Option<String>,
}

/// What [`AudioParams`] ask for.
pub(crate) struct AudioAsk {
    pub mp3: bool,
    pub download: bool,
}

impl AudioParams {
    pub(crate) fn check(&self) -> Result<AudioAsk, Problem> {
        let mp3 = match self.format.as_deref() {
            None | Some("original") => false,
            Some("mp3") => true,
            Some(_) => {
                return Err(Problem::bad_request(
                    "invalid_format",
                    "format must be original or mp3",
                ));
            }
        };
        let download = match self.download.as_deref() {
            None | Some("0" | "false") => false,
            Some("1" | "true") => true,
            Some(_) => {
                return Err(Problem::bad_request("invalid_query", "download must be 1 or 0"));
            }
        };
        Ok(AudioAsk { mp3, download })
    }
}

/// `Content-Disposition` of a recording's audio with extension `ext`.
pub(crate) fn disposition(rec: &Recording, ext: &str, download: bool) -> Option<HeaderValue> {
    let kind = if download { "attachment" } else { "inline" };
    HeaderValue::from_str(&format!("{kind}; filename=\"{}.{ext}\"", rec.id)).ok()
}

/// The recording as MP3 (made once and cached, unless encrypted), with
/// `Range` support.
pub(crate) async fn mp3_audio(
    state: &SharedState,
    rec: &Recording,
    headers: &HeaderMap,
    download: bool,
) -> Result<Response, Problem> {
    let audio =
        media_service(state).audio(rec, DeliveryFormat::Mp3).await.map_err(media_problem)?;
    let total = audio.bytes.len() as u64;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(h) => match parse_range(h, total) {
            Ok(r) => r,
            Err(ServeError::RangeNotSatisfiable { total }) => {
                let mut p = Problem::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    "Range not satisfiable",
                    format!("the MP3 has {total} bytes"),
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    p.headers.push((header::CONTENT_RANGE, v));
                }
                return Err(p);
            }
            // A header it does not understand: the whole file (RFC 9110).
            Err(_) => None,
        },
    };
    let body = match &range {
        Some(r) => audio.bytes.slice(r.start as usize..r.end as usize),
        None => audio.bytes.clone(),
    };
    let len = body.len();
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(audio.content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", audio.sha256)) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(v) = disposition(rec, audio.extension, download) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(r) = range {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{total}", r.start, r.end - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp)
}

async fn recording(
    state: &SharedState,
    tenant: callvault_model::TenantId,
    id: RecordingId,
) -> Result<Recording, Problem> {
    state.catalog.recording(tenant, id).await?.ok_or_else(|| Problem::not_found("recording"))
}

/// Delivery's media service, or one of this request's own.
fn media_service(state: &SharedState) -> Arc<MediaService> {
    match &state.delivery {
        Some(d) => d.links.clone(),
        None => MediaService::new(state.reader.clone(), "", state.ingestor.instance.id()),
    }
}

fn media_problem(e: MediaError) -> Problem {
    match e {
        MediaError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "recording media unavailable");
            Problem::unavailable("the recording's audio cannot be read right now")
        }
        MediaError::Unconvertible(detail) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unconvertible",
            "Audio cannot be decoded",
            detail,
        ),
    }
}
