//! The callvault media engine: RTP in, one recording per conversation out.
//!
//! ```text
//! capture path ──on_rtp(now, flow, bytes)──► Recorder ──records──► spool file (fsync every 1 s)
//!   (sans-IO: rtp::StreamTracker per flow → codec::Decoder → PCM on the wall-clock timeline)
//! Recorder::close(now) / recover_spool(dir) ──► ClosedTimeline ──render_to(out)──► file
//!                        (mixed and encoded window by window; thread pool, never async)
//! ```
//!
//! Module map:
//! - [`recorder`]: [`Recorder`], the per-conversation entry point.
//! - [`codec`]: payload decoders (G.711, G.722, G.729/G.729A, Opus, L16) and
//!   [`PayloadMap`].
//! - [`spool`]: the crash-safe record format and its writer.
//! - [`timeline`]: [`ClosedTimeline`] built from a spool; [`recover_spool`].
//! - [`mod@render`]: mixing to stereo/mono/per-participant and encoding to
//!   Ogg/Opus, WAV, FLAC, MP3, streamed into a writer ([`render_to`]) or
//!   into memory ([`render()`]); [`RenderPool`].
//! - [`resample`]: the few rate conversions telephony needs.
//! - [`peaks`]: a stored recording decoded into per-channel min/max bins
//!   (the console's waveform).
//! - [`transcode`]: a stored recording (Ogg/Opus, WAV, FLAC, MP3) decoded
//!   and encoded for delivery (MP3, WAV, Ogg/Opus), a block at a time.
//!
//! **Architecture invariant:** nothing here reads a clock, opens a socket or
//! spawns an async task. Time comes in as `now: Timestamp`
//! ([`callvault_model::Timestamp`]); `Duration` is for spans (sync interval,
//! offsets into the recording). The only I/O is the spool file (written in
//! [`Recorder::poll`]/[`Recorder::close`], read when rendering), the writer
//! a render is streamed into, and the render pool's threads.
//!
//! **Architecture invariant:** the spool is the single source of truth: a
//! call that ends normally and a call cut by a crash are both rendered from
//! their spool by the same code.

pub mod codec;
pub mod peaks;
pub mod recorder;
pub mod render;
pub mod resample;
pub mod spool;
pub mod timeline;
pub mod transcode;

pub use codec::{Codec, Decoder, PayloadMap};
pub use recorder::{FlowKey, Recorder, RecorderConfig, RecorderStats};
pub use render::{
    Layout, OutputFormat, RenderError, RenderOptions, RenderPool, RenderSummary, RenderedFile,
    render, render_to, render_tracks,
};
pub use spool::{SpoolConfig, remove_spool};
pub use timeline::{
    ClosedTimeline, RecoveredConversation, TimelineEvent, recover_spool, spool_paths,
};
