//! Bulk import of an existing archive (an Asterisk/FreePBX monitor
//! directory, any tree of audio files), resumable and idempotent.
//!
//! Each file goes through the same [`Ingestor`] as an upload, with an
//! idempotency key made of its relative path, size and modification time:
//! a second run skips every file already imported without reading it, and a
//! run that was interrupted picks up where it stopped. Metadata comes from a
//! CSV (`--csv`, a `file` column plus any of the upload metadata fields) or
//! from FreePBX-style file names
//! (`{kind}-{target}-{source}-{YYYYMMDD}-{HHMMSS}-{uniqueid}.wav`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use callvault_model::{RecordingSource, TenantId};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use futures::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::ingest::{
    IngestError, IngestOutcome, IngestRequest, Ingestor, ParticipantMetadata, RecordingMetadata,
};

const AUDIO_EXTENSIONS: &[&str] = &["wav", "wav49", "mp3", "ogg", "opus", "oga", "flac"];

pub struct ImportOptions {
    pub dir: PathBuf,
    pub tenant: TenantId,
    pub csv: Option<PathBuf>,
    /// The PBX's UTC offset, for times in file names (`+03:00`).
    pub utc_offset: FixedOffset,
    pub parallel: usize,
}

/// What an import tells its caller as it goes (the CLI draws a bar).
#[derive(Debug)]
pub enum ImportProgress<'a> {
    /// The audio files found, before any is imported.
    Found(u64),
    /// One more file done; the figures so far.
    FileDone(&'a ImportSummary),
    /// Every file done.
    Finished,
    /// Stopped early (storage unavailable).
    Stopped,
}

#[derive(Debug, Default)]
pub struct ImportSummary {
    pub found: u64,
    pub imported: u64,
    pub skipped: u64,
    pub refused: Vec<(PathBuf, String)>,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("csv {path}: {message}")]
    Csv { path: PathBuf, message: String },
    #[error("storage unavailable, stopping (run again to resume): {0}")]
    Unavailable(String),
}

/// One row of the metadata CSV.
#[derive(Debug, Default, Deserialize)]
struct CsvRow {
    file: String,
    linkedid: Option<String>,
    uniqueid: Option<String>,
    call_id: Option<String>,
    conversation_key: Option<String>,
    direction: Option<String>,
    caller: Option<String>,
    callee: Option<String>,
    started_at: Option<String>,
    ended_at: Option<String>,
    participant: Option<String>,
    participant_name: Option<String>,
    side: Option<String>,
}

pub async fn run(
    ingestor: &Ingestor,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(ImportProgress<'_>),
) -> Result<ImportSummary, ImportError> {
    let files = find_audio(&opts.dir)?;
    let csv = match &opts.csv {
        Some(p) => read_csv(p, opts.utc_offset)?,
        None => HashMap::new(),
    };
    let mut summary = ImportSummary { found: files.len() as u64, ..Default::default() };
    progress(ImportProgress::Found(summary.found));

    let results = futures::stream::iter(files.into_iter().map(|path| {
        let rel = path.strip_prefix(&opts.dir).unwrap_or(&path).to_path_buf();
        let meta = csv.get(&rel.to_string_lossy().into_owned()).cloned().or_else(|| {
            let name = rel.file_name()?.to_string_lossy().into_owned();
            csv.get(&name).cloned()
        });
        async move {
            let outcome = import_one(ingestor, opts, &path, &rel, meta).await;
            (rel, outcome)
        }
    }))
    .buffer_unordered(opts.parallel.max(1));
    futures::pin_mut!(results);
    while let Some((rel, outcome)) = results.next().await {
        match outcome {
            Ok(Some(IngestOutcome::Created(r))) => {
                summary.imported += 1;
                summary.bytes += r.size_bytes;
            }
            Ok(Some(IngestOutcome::Duplicate(_)) | None) => summary.skipped += 1,
            Err(IngestError::Unavailable(e)) => {
                progress(ImportProgress::Stopped);
                return Err(ImportError::Unavailable(e));
            }
            Err(e) => summary.refused.push((rel, e.to_string())),
        }
        progress(ImportProgress::FileDone(&summary));
    }
    progress(ImportProgress::Finished);
    summary.refused.sort();
    Ok(summary)
}

/// Import one file; `Ok(None)` when a previous run already imported it.
async fn import_one(
    ingestor: &Ingestor,
    opts: &ImportOptions,
    path: &Path,
    rel: &Path,
    csv_meta: Option<RecordingMetadata>,
) -> Result<Option<IngestOutcome>, IngestError> {
    let stat = tokio::fs::metadata(path)
        .await
        .map_err(|e| IngestError::Incomplete(format!("cannot stat: {e}")))?;
    let mtime = stat
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let key = {
        let mut h = Sha256::new();
        h.update(rel.to_string_lossy().as_bytes());
        h.update(stat.len().to_le_bytes());
        h.update(mtime.to_le_bytes());
        format!("import:{}", &hex::encode(h.finalize())[..40])
    };
    let known = ingestor
        .catalog
        .find_duplicate(opts.tenant, Some(&key), "-")
        .await
        .map_err(|e| IngestError::Unavailable(e.to_string()))?;
    if known.is_some() {
        return Ok(None);
    }
    let mut metadata = csv_meta.unwrap_or_else(|| metadata_from_name(rel, opts.utc_offset));
    metadata
        .external_ids
        .entry("import_path".into())
        .or_insert_with(|| truncate(&rel.to_string_lossy(), 256));
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| IngestError::Incomplete(format!("cannot open: {e}")))?;
    let body = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
    let description = metadata.describe().inspect_err(|e| ingestor.count_error(e))?;
    let req = IngestRequest {
        tenant: opts.tenant,
        description,
        idempotency_key: Some(key),
        source: RecordingSource::Import,
        actor: "cli:import".into(),
        flags: Vec::new(),
    };
    ingestor.ingest(req, body).await.map(Some)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().rev().take(max).collect::<Vec<_>>().into_iter().rev().collect()
}

fn find_audio(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|source| ImportError::Io { path: d.clone(), source })?;
        for entry in entries {
            let entry = entry.map_err(|source| ImportError::Io { path: d.clone(), source })?;
            let path = entry.path();
            let ft = entry
                .file_type()
                .map_err(|source| ImportError::Io { path: path.clone(), source })?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn parse_time(s: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d-%H%M%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return offset.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc));
        }
    }
    if let Ok(secs) = s.parse::<f64>() {
        return DateTime::from_timestamp_millis((secs * 1000.0) as i64);
    }
    None
}

fn read_csv(
    path: &Path,
    offset: FixedOffset,
) -> Result<HashMap<String, RecordingMetadata>, ImportError> {
    let err = |message: String| ImportError::Csv { path: path.to_owned(), message };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| err(e.to_string()))?;
    let mut map = HashMap::new();
    for (i, row) in reader.deserialize::<CsvRow>().enumerate() {
        let row = row.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
        let time = |v: &Option<String>, name: &str| -> Result<Option<DateTime<Utc>>, ImportError> {
            match v.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => parse_time(s, offset)
                    .map(Some)
                    .ok_or_else(|| err(format!("row {}: bad {name} {s:?}", i + 2))),
            }
        };
        let participant =
            row.participant.clone().filter(|s| !s.is_empty()).map(|address| ParticipantMetadata {
                address: Some(address),
                name: row.participant_name.clone().filter(|s| !s.is_empty()),
                side: row.side.clone().filter(|s| !s.is_empty()),
                joined_at: None,
                left_at: None,
            });
        let meta = RecordingMetadata {
            linkedid: row.linkedid.filter(|s| !s.is_empty()),
            uniqueid: row.uniqueid.filter(|s| !s.is_empty()),
            call_id: row.call_id.filter(|s| !s.is_empty()),
            conversation_key: row.conversation_key.filter(|s| !s.is_empty()),
            direction: row.direction.filter(|s| !s.is_empty()),
            caller: row.caller.filter(|s| !s.is_empty()),
            callee: row.callee.filter(|s| !s.is_empty()),
            started_at: time(&row.started_at, "started_at")?,
            ended_at: time(&row.ended_at, "ended_at")?,
            participant,
            ..Default::default()
        };
        map.insert(row.file, meta);
    }
    Ok(map)
}

/// Metadata from a FreePBX-style monitor file name:
/// `{kind}-{target}-{source}-{YYYYMMDD}-{HHMMSS}-{uniqueid}.{ext}`, where
/// kind is `external`/`in`/`q`/`rg` (inbound), `out` (outbound) or
/// `internal`/`exten` (internal). Other names give no metadata.
pub fn metadata_from_name(rel: &Path, offset: FixedOffset) -> RecordingMetadata {
    let Some(stem) = rel.file_stem().and_then(|s| s.to_str()) else {
        return RecordingMetadata::default();
    };
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 6 {
        return RecordingMetadata::default();
    }
    let n = parts.len();
    let (date, time, uniqueid) = (parts[n - 3], parts[n - 2], parts[n - 1]);
    let valid_uid = uniqueid.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
    });
    if date.len() != 8 || time.len() != 6 || !valid_uid {
        return RecordingMetadata::default();
    }
    let Some(started_at) = parse_time(&format!("{date}-{time}"), offset) else {
        return RecordingMetadata::default();
    };
    let kind = parts[0];
    let target = parts[1];
    let source = parts[2..n - 3].join("-");
    let direction = match kind {
        "external" | "in" | "q" | "rg" => Some("inbound"),
        "out" => Some("outbound"),
        "internal" | "exten" => Some("internal"),
        _ => None,
    };
    let (caller, callee) =
        (Some(source).filter(|s| !s.is_empty() && s != "anonymous"), Some(target.to_owned()));
    RecordingMetadata {
        uniqueid: Some(uniqueid.to_owned()),
        direction: direction.map(str::to_owned),
        caller,
        callee,
        started_at: Some(started_at),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freepbx_names() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let m = metadata_from_name(
            Path::new("2026/11/20/external-101-79123456789-20261120-101500-1763633700.42.wav"),
            utc,
        );
        assert_eq!(m.direction.as_deref(), Some("inbound"));
        assert_eq!(m.caller.as_deref(), Some("79123456789"));
        assert_eq!(m.callee.as_deref(), Some("101"));
        assert_eq!(m.uniqueid.as_deref(), Some("1763633700.42"));
        assert_eq!(m.started_at, Some(Utc.with_ymd_and_hms(2026, 11, 20, 10, 15, 0).unwrap()));

        let msk = FixedOffset::east_opt(3 * 3600).unwrap();
        let m = metadata_from_name(
            Path::new("out-84951234567-102-20261120-101500-1763633700.43.wav"),
            msk,
        );
        assert_eq!(m.direction.as_deref(), Some("outbound"));
        assert_eq!(m.started_at, Some(Utc.with_ymd_and_hms(2026, 11, 20, 7, 15, 0).unwrap()));

        assert_eq!(
            metadata_from_name(Path::new("meeting-notes.wav"), utc),
            RecordingMetadata::default()
        );
        assert_eq!(
            metadata_from_name(Path::new("a-b-c-2026-1015-x.y.wav"), utc),
            RecordingMetadata::default()
        );
    }
}
