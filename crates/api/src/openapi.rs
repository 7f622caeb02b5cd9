//! The OpenAPI 3.1 document served at `/v1/openapi.json`. A test checks
//! that every route of the router is described here and nothing else.

use serde_json::{Value, json};

fn problem_responses(codes: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for code in codes {
        map.insert(
            (*code).to_owned(),
            json!({
                "description": "Problem details (RFC 9457)",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }),
        );
    }
    Value::Object(map)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn id_param(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } })
}

/// The document.
pub fn document() -> Value {
    let mut doc = base_document();
    crate::retention::add_openapi(&mut doc);
    crate::session::add_openapi(&mut doc);
    if let (Some(paths), Value::Object(more)) =
        (doc["paths"].as_object_mut(), crate::storage::openapi_paths())
    {
        paths.extend(more);
    }
    if let (Some(schemas), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), crate::storage::openapi_schemas())
    {
        schemas.extend(more);
    }
    doc
}

fn base_document() -> Value {
    let tenant_errors = problem_responses(&["401", "403", "404", "503"]);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "callvault",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Call recordings that never go missing: ingest, search and playback of recorded conversations."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/v1/recordings": {
                "post": {
                    "summary": "Ingest a recording made elsewhere",
                    "description": "Streams the audio into the vault. Acknowledged only once durably stored and verified. \
                        The same Idempotency-Key, or the same bytes, again returns the stored recording (200) instead of a new one (201); \
                        the same Idempotency-Key with other audio or other metadata is 409. A body silent for server.body_idle_timeout_secs is 408; \
                        a tenant with server.max_uploads_per_tenant uploads in flight gets 429 with Retry-After.",
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 256 } }],
                    "requestBody": {
                        "required": true,
                        "content": { "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["audio"],
                                "properties": {
                                    "metadata": { "$ref": "#/components/schemas/RecordingMetadata" },
                                    "audio": { "type": "string", "contentMediaType": "application/octet-stream", "description": "WAV, MP3, Ogg/Opus or FLAC" }
                                }
                            },
                            "encoding": { "metadata": { "contentType": "application/json" } }
                        } }
                    },
                    "responses": with(json!({
                        "201": { "description": "Stored", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Recording" } } } },
                        "200": { "description": "Already stored (idempotent replay)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Recording" } } } }
                    }), problem_responses(&["400", "401", "403", "408", "409", "413", "422", "429", "503"]))
                }
            },
            "/v1/recordings/{id}": {
                "get": {
                    "summary": "A recording",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The recording", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Recording" } } } } }), tenant_errors.clone())
                }
            },
            "/v1/recordings/{id}/audio": {
                "get": {
                    "summary": "A recording's audio, with HTTP Range support",
                    "description": "format=original (default) serves the stored object; format=mp3 serves it as MP3, made once and cached (never cached for an encrypted recording). download=1 makes it an attachment named <recording>.<ext>.",
                    "parameters": [
                        id_param("id"),
                        { "name": "Range", "in": "header", "required": false, "schema": { "type": "string", "example": "bytes=0-1023" } },
                        { "name": "format", "in": "query", "schema": { "enum": ["original", "mp3"], "default": "original" } },
                        { "name": "download", "in": "query", "schema": { "enum": ["0", "1", "true", "false"] } }
                    ],
                    "responses": with(json!({
                        "200": { "description": "The whole object", "content": { "audio/*": { "schema": { "type": "string", "format": "binary" } } } },
                        "206": { "description": "The requested range", "content": { "audio/*": { "schema": { "type": "string", "format": "binary" } } } }
                    }), problem_responses(&["400", "401", "403", "404", "416", "422", "503"]))
                }
            },
            "/v1/recordings/{id}/peaks": {
                "get": {
                    "summary": "Waveform peaks of a recording: per channel, the minimum and maximum over N equal bins, -127..127 of full scale",
                    "description": "Computed from the stored audio on the first request and cached (not for an encrypted recording). Stereo recordings carry the external party left and the company right.",
                    "parameters": [id_param("id"), { "name": "bins", "in": "query", "schema": { "type": "integer", "minimum": 16, "maximum": 4000, "default": 1000 } }],
                    "responses": with(json!({ "200": { "description": "The peaks", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Peaks" } } } } }),
                        problem_responses(&["400", "401", "403", "404", "422", "503"]))
                }
            },
            "/v1/conversations": {
                "get": {
                    "summary": "Search conversations, newest first",
                    "parameters": [
                        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "started at or after" },
                        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date-time" }, "description": "started before" },
                        { "name": "number", "in": "query", "schema": { "type": "string" }, "description": "a phone number in any notation, matched on its last 10 digits" },
                        { "name": "participant", "in": "query", "schema": { "type": "string" }, "description": "a participant's address or display name" },
                        { "name": "external_id", "in": "query", "schema": { "type": "string" }, "description": "kind:value, or a bare value of any kind" },
                        { "name": "has_recording", "in": "query", "schema": { "type": "boolean" } },
                        { "name": "direction", "in": "query", "schema": { "enum": ["inbound", "outbound", "internal"] } },
                        { "name": "source", "in": "query", "schema": { "enum": ["upload", "import", "capture", "siprec"] }, "description": "a live recording from this source" },
                        { "name": "min_duration_s", "in": "query", "schema": { "type": "integer", "minimum": 0 }, "description": "the longest recording lasts at least this many seconds" },
                        { "name": "max_duration_s", "in": "query", "schema": { "type": "integer", "minimum": 0 }, "description": "the longest recording lasts at most this many whole seconds (a conversation without a recording does not match)" },
                        { "name": "flag", "in": "query", "schema": { "enum": ["cut_by_crash", "incomplete", "undelivered"] }, "description": "cut_by_crash: a recording cut short by a crash; incomplete/undelivered: an open assurance finding of that kind" },
                        { "name": "cursor", "in": "query", "schema": { "type": "string" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 } }
                    ],
                    "responses": with(json!({ "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConversationPage" } } } } }), problem_responses(&["400", "401", "403", "503"]))
                }
            },
            "/v1/conversations/{id}": {
                "get": {
                    "summary": "A conversation with its participant timeline, recordings and copies",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The conversation", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConversationDetail" } } } } }), tenant_errors.clone())
                }
            },
            "/v1/tenants": {
                "post": {
                    "summary": "Create a tenant (admin)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$" } } } } } },
                    "responses": with(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Tenant" } } } } }), problem_responses(&["400", "401", "403", "409"]))
                },
                "get": {
                    "summary": "List tenants (admin)",
                    "responses": with(json!({ "200": { "description": "Tenants", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Tenant" } } } } } }), problem_responses(&["401", "403"]))
                }
            },
            "/v1/tenants/{name}/keys": {
                "post": {
                    "summary": "Create an API key for a tenant (admin); the secret is shown once",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "label": { "type": "string", "maxLength": 128 } } } } } },
                    "responses": with(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/IssuedKey" } } } } }), problem_responses(&["400", "401", "403", "404"]))
                },
                "get": {
                    "summary": "List a tenant's keys (admin)",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": with(json!({ "200": { "description": "Keys", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Key" } } } } } }), problem_responses(&["401", "403", "404"]))
                }
            },
            "/v1/workers": {
                "get": {
                    "summary": "Background workers of this process and what they have done (admin)",
                    "responses": with(json!({ "200": { "description": "Workers", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Worker" } } } } } }), problem_responses(&["401", "403"]))
                }
            },
            "/v1/keys/{id}": {
                "delete": {
                    "summary": "Revoke a key (admin)",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "204": { "description": "Revoked" } }), problem_responses(&["401", "403", "404"]))
                }
            },
            "/v1/audit": {
                "get": {
                    "summary": "The append-only audit log, oldest first (a tenant key sees its tenant; an admin key sees all)",
                    "description": "An admin key sees each event's stored sequence number (seq) and pages with after=<seq>. \
                        A tenant key sees an opaque cursor instead (the global sequence would show other tenants' activity) and pages with after=<cursor>.",
                    "parameters": [
                        { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "seq (admin) or cursor (tenant) of the last event seen" },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }, "description": "outside 1..1000: 400" }
                    ],
                    "responses": with(json!({ "200": { "description": "Events", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/AuditEvent" } } } } } }), problem_responses(&["400", "401"]))
                }
            },
            "/v1/openapi.json": {
                "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } }
            },
            "/v1/destinations": {
                "post": {
                    "summary": "Add a delivery destination to the caller's tenant",
                    "description": "kind: email, webhook, amocrm, bitrix24, bucket. config holds the kind's settings, secrets its passwords and tokens: \
                        secrets are write-only (no response carries them; secrets_set names the ones set). \
                        events default to the kind's usual ones; alert.system is for operators only (CLI).",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewDestination" } } } },
                    "responses": with(json!({ "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Destination" } } } } }), problem_responses(&["400", "401", "403", "409", "503"]))
                },
                "get": {
                    "summary": "The tenant's destinations (never their secrets)",
                    "responses": with(json!({ "200": { "description": "Destinations", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Destination" } } } } } }), tenant_errors.clone())
                }
            },
            "/v1/destinations/{id}": {
                "get": {
                    "summary": "A destination (never its secrets)",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The destination", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Destination" } } } } }), tenant_errors.clone())
                },
                "patch": {
                    "summary": "Change a destination; secrets, when given, replace all of them; rotate_link_key revokes every link it signed",
                    "parameters": [id_param("id")],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DestinationPatch" } } } },
                    "responses": with(json!({ "200": { "description": "The destination", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Destination" } } } } }), problem_responses(&["400", "401", "403", "404", "409"]))
                },
                "delete": {
                    "summary": "Remove a destination; its queued deliveries are cancelled",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "204": { "description": "Removed" } }), tenant_errors.clone())
                }
            },
            "/v1/destinations/{id}/test": {
                "post": {
                    "summary": "Send a real test delivery now and report what the destination answered",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The outcome", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TestOutcome" } } } } }), tenant_errors.clone())
                }
            },
            "/v1/deliveries": {
                "get": {
                    "summary": "The tenant's deliveries, newest first",
                    "parameters": [
                        { "name": "state", "in": "query", "schema": { "$ref": "#/components/schemas/DeliveryState" } },
                        { "name": "destination", "in": "query", "schema": { "type": "string", "format": "uuid" } },
                        { "name": "before", "in": "query", "schema": { "type": "string" }, "description": "next from the previous page" },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
                    ],
                    "responses": with(json!({ "200": { "description": "A page", "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "items": { "type": "array", "items": { "$ref": "#/components/schemas/Delivery" } }, "next": { "type": ["string", "null"] } } } } } } }), problem_responses(&["400", "401", "403"]))
                }
            },
            "/v1/deliveries/summary": {
                "get": {
                    "summary": "Per destination, the tenant's deliveries not through yet (pending, in flight, retrying, dead) with the latest error",
                    "responses": with(json!({ "200": { "description": "One entry per destination with such deliveries", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object",
                        "required": ["destination_id", "kind", "pending", "in_flight", "retry_wait", "dead"],
                        "properties": {
                            "destination_id": { "type": "string", "format": "uuid" },
                            "name": { "type": ["string", "null"], "description": "null when the destination was deleted" },
                            "kind": { "type": "string" },
                            "pending": { "type": "integer" }, "in_flight": { "type": "integer" },
                            "retry_wait": { "type": "integer" }, "dead": { "type": "integer" },
                            "last_error": { "type": ["string", "null"] },
                            "last_error_at": { "type": ["string", "null"], "format": "date-time" } } } } } } } }), problem_responses(&["401", "403"]))
                }
            },
            "/v1/deliveries/{id}": {
                "get": {
                    "summary": "A delivery with the history of its attempts",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The delivery", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Delivery" } } } } }), tenant_errors.clone())
                }
            },
            "/v1/deliveries/{id}/retry": {
                "post": {
                    "summary": "Queue a delivery again, due now (dead, no_match, retry_wait, skipped or cancelled); its age starts over",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "The delivery", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Delivery" } } } } }), problem_responses(&["400", "401", "403", "404"]))
                }
            },
            "/v1/conversations/{id}/deliveries": {
                "get": {
                    "summary": "Every delivery of a conversation",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "200": { "description": "Deliveries", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Delivery" } } } } } }), tenant_errors.clone())
                }
            },
            "/v1/alerts": {
                "get": {
                    "summary": "Alerts: a tenant key sees its tenant's, an admin key every tenant's and the system's",
                    "parameters": [
                        { "name": "open", "in": "query", "schema": { "type": "boolean", "default": true } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 200 } }
                    ],
                    "responses": with(json!({ "200": { "description": "Alerts", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Alert" } } } } } }), problem_responses(&["400", "401"]))
                }
            },
            "/v1/alerts/{id}/resolve": {
                "post": {
                    "summary": "Mark an alert resolved; raised again, it opens anew and is delivered again",
                    "parameters": [id_param("id")],
                    "responses": with(json!({ "204": { "description": "Resolved" } }), problem_responses(&["401", "404"]))
                }
            },
            "/v1/encryption": {
                "get": {
                    "summary": "Encryption at rest (admin): master key ids (never the keys), which is active, how many data keys each wraps, encrypting tenants, data keys awaiting rotation",
                    "responses": with(json!({ "200": { "description": "Status", "content": { "application/json": { "schema": { "type": "object" } } } } }), problem_responses(&["401", "403"]))
                }
            },
            "/v1/encryption/tenants/{name}": {
                "get": {
                    "summary": "Whether a tenant's new recordings are encrypted (admin)",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "responses": with(json!({ "200": { "description": "The switch", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TenantEncryption" } } } } }), problem_responses(&["401", "403", "404"]))
                },
                "put": {
                    "summary": "Encrypt (or stop encrypting) a tenant's new recordings (admin); recordings already stored keep their form and stay readable",
                    "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" } }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["enabled"], "properties": { "enabled": { "type": "boolean" } } } } } },
                    "responses": with(json!({ "200": { "description": "The switch", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/TenantEncryption" } } } } }), problem_responses(&["400", "401", "403", "404"]))
                }
            },
            "/v1/encryption/rotate": {
                "post": {
                    "summary": "Re-wrap every data key under the active master key (admin), in batches; idempotent and resumable, the audio is not rewritten",
                    "responses": with(json!({ "200": { "description": "What was re-wrapped", "content": { "application/json": { "schema": { "type": "object", "properties": { "active_key": { "type": "string" }, "rewrapped": { "type": "integer" }, "batches": { "type": "integer" } } } } } } }), problem_responses(&["400", "401", "403"]))
                }
            },
            "/links/{file}": {
                "get": {
                    "summary": "A signed, expiring link to a recording (no API key): {recording}.{ext}?d=&e=&s=",
                    "description": "Made by delivery channels (e-mail, CRMs, webhooks). Serves Range requests; derived formats (mp3) are transcoded once and cached. \
                        A tampered or revoked link (the destination's link key rotated) is 403, an expired one 410.",
                    "security": [],
                    "parameters": [
                        { "name": "file", "in": "path", "required": true, "schema": { "type": "string" } },
                        { "name": "d", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "e", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "s", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "Range", "in": "header", "required": false, "schema": { "type": "string" } }
                    ],
                    "responses": with(json!({ "200": { "description": "The audio" }, "206": { "description": "Part of the audio" } }), problem_responses(&["400", "403", "404", "410", "416", "503"]))
                }
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "TenantEncryption": {
                    "type": "object",
                    "required": ["tenant", "enabled"],
                    "properties": { "tenant": { "type": "string" }, "enabled": { "type": "boolean" } }
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "code"],
                    "properties": {
                        "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                        "detail": { "type": "string" }, "code": { "type": "string" }
                    }
                },
                "Participant": {
                    "type": "object",
                    "properties": {
                        "address": { "type": "string" }, "name": { "type": "string" },
                        "side": { "enum": ["external", "company"] },
                        "joined_at": { "type": "string", "format": "date-time" }, "left_at": { "type": "string", "format": "date-time" }
                    }
                },
                "RecordingMetadata": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "linkedid": { "type": "string" }, "uniqueid": { "type": "string" }, "call_id": { "type": "string" },
                        "conversation_key": { "type": "string" },
                        "external_ids": { "type": "object", "additionalProperties": { "type": "string" } },
                        "direction": { "enum": ["inbound", "outbound", "internal"] },
                        "caller": { "type": "string" }, "callee": { "type": "string" },
                        "external_number": { "type": "string" }, "company_number": { "type": "string" },
                        "started_at": { "type": "string", "format": "date-time" }, "ended_at": { "type": "string", "format": "date-time" },
                        "participant": { "$ref": "#/components/schemas/Participant" },
                        "participants": { "type": "array", "items": { "$ref": "#/components/schemas/Participant" } },
                        "final": { "type": "boolean", "description": "true: no other recording of this conversation follows; it is settled and delivered at once instead of after server.settle_upload_secs. Not part of the upload's identity." }
                    }
                },
                "Recording": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "conversation_id": { "type": "string", "format": "uuid" },
                        "participant_id": { "type": ["string", "null"], "format": "uuid" },
                        "source": { "enum": ["upload", "import", "capture", "siprec"] },
                        "format": { "enum": ["wav", "mp3", "opus", "flac"] }, "content_type": { "type": "string" },
                        "channels": { "type": "integer" }, "sample_rate": { "type": "integer" }, "duration_ms": { "type": "integer" },
                        "size_bytes": { "type": "integer" }, "sha256": { "type": "string" },
                        "started_at": { "type": "string", "format": "date-time" }, "ended_at": { "type": "string", "format": "date-time" },
                        "flags": { "type": "array", "items": { "type": "string" } },
                        "created_at": { "type": "string", "format": "date-time" }, "audio_url": { "type": "string" }
                    }
                },
                "Conversation": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" },
                        "direction": { "enum": ["inbound", "outbound", "internal", "unknown"] },
                        "external_number": { "type": ["string", "null"] }, "company_number": { "type": ["string", "null"] },
                        "started_at": { "type": "string", "format": "date-time" }, "ended_at": { "type": ["string", "null"], "format": "date-time" },
                        "external_ids": { "type": "array", "items": { "type": "object", "properties": { "kind": { "type": "string" }, "value": { "type": "string" } } } },
                        "recording_count": { "type": "integer" }, "participant_count": { "type": "integer" },
                        "duration_ms": { "type": "integer", "description": "the longest live recording (search results only; 0 without one)" },
                        "sources": { "type": "array", "items": { "enum": ["upload", "import", "capture", "siprec"] }, "description": "search results only" },
                        "flags": { "type": "array", "items": { "enum": ["cut_by_crash", "incomplete", "undelivered"] }, "description": "search results only" }
                    }
                },
                "Peaks": {
                    "type": "object",
                    "properties": {
                        "recording_id": { "type": "string", "format": "uuid" },
                        "duration_ms": { "type": "integer" },
                        "bins": { "type": "integer" },
                        "channels": { "type": "array", "items": { "type": "object", "properties": {
                            "label": { "enum": ["external", "company", "mono"] },
                            "min": { "type": "array", "items": { "type": "integer", "minimum": -127, "maximum": 127 } },
                            "max": { "type": "array", "items": { "type": "integer", "minimum": -127, "maximum": 127 } } } } }
                    }
                },
                "ConversationPage": {
                    "type": "object",
                    "properties": {
                        "items": { "type": "array", "items": { "$ref": "#/components/schemas/Conversation" } },
                        "next_cursor": { "type": ["string", "null"] },
                        "searched_back_to": { "type": "string", "format": "date-time", "description": "Present when the search stopped at its scan budget (3 000 candidate calls a page; the page may be short): every match that started at or after this instant is on the page; next_cursor searches further back." }
                    }
                },
                "ConversationDetail": {
                    "allOf": [{ "$ref": "#/components/schemas/Conversation" }],
                    "properties": {
                        "participants": { "type": "array", "items": { "type": "object" } },
                        "recordings": { "type": "array", "items": { "$ref": "#/components/schemas/Recording" } },
                        "timeline": { "type": "array", "items": { "type": "object", "properties": {
                            "at": { "type": "string", "format": "date-time" }, "offset_ms": { "type": "integer" },
                            "event": { "enum": ["joined", "left", "recording_started", "recording_ended", "dtmf", "media_gap", "no_media"] },
                            "participant_id": { "type": ["string", "null"], "format": "uuid" },
                            "recording_id": { "type": ["string", "null"], "format": "uuid" },
                            "detail": { "type": "object", "description": "dtmf: digit, duration_ms, stream, side; media_gap: end, duration_ms; no_media: reason" }
                        } } }
                    }
                },
                "Tenant": {
                    "type": "object",
                    "properties": { "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" } }
                },
                "Worker": {
                    "type": "object",
                    "required": ["name", "state", "runs", "errors", "busy_secs"],
                    "properties": {
                        "name": { "type": "string" }, "state": { "enum": ["busy", "idle", "done", "stopped"] },
                        "runs": { "type": "integer" }, "errors": { "type": "integer" }, "busy_secs": { "type": "number" },
                        "last_success": { "type": ["string", "null"], "format": "date-time" },
                        "last_error": { "type": ["string", "null"] },
                        "last_error_at": { "type": ["string", "null"], "format": "date-time" }
                    }
                },
                "Key": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "tenant_id": { "type": ["string", "null"] },
                        "role": { "enum": ["admin", "tenant"] }, "label": { "type": "string" }, "prefix": { "type": "string" },
                        "created_at": { "type": "string", "format": "date-time" }, "revoked_at": { "type": ["string", "null"] }
                    }
                },
                "IssuedKey": {
                    "allOf": [{ "$ref": "#/components/schemas/Key" }],
                    "properties": { "secret": { "type": "string" } }
                },
                "NewDestination": {
                    "type": "object",
                    "required": ["name", "kind"],
                    "additionalProperties": false,
                    "properties": {
                        "name": { "type": "string", "maxLength": 100 },
                        "kind": { "enum": ["email", "webhook", "amocrm", "bitrix24", "bucket"] },
                        "enabled": { "type": "boolean" },
                        "events": { "type": "array", "items": { "enum": ["conversation.settled", "conversation.updated", "recording.stored", "alert"] } },
                        "config": { "type": "object" }, "secrets": { "type": "object", "writeOnly": true },
                        "filters": { "$ref": "#/components/schemas/Filters" },
                        "max_age_secs": { "type": "integer" }, "link_ttl_secs": { "type": "integer" }
                    }
                },
                "DestinationPatch": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "name": { "type": "string" }, "enabled": { "type": "boolean" },
                        "events": { "type": "array", "items": { "type": "string" } },
                        "config": { "type": "object" }, "secrets": { "type": "object", "writeOnly": true },
                        "filters": { "$ref": "#/components/schemas/Filters" },
                        "max_age_secs": { "type": "integer" }, "link_ttl_secs": { "type": "integer" },
                        "rotate_link_key": { "type": "boolean" }
                    }
                },
                "Filters": {
                    "type": ["object", "null"],
                    "additionalProperties": false,
                    "properties": {
                        "directions": { "type": "array", "items": { "enum": ["inbound", "outbound", "internal", "unknown"] } },
                        "numbers": { "type": "array", "items": { "type": "string" }, "description": "numbers or prefixes, any notation" },
                        "participants": { "type": "array", "items": { "type": "string" } },
                        "min_duration_secs": { "type": "integer" }
                    }
                },
                "Destination": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "name": { "type": "string" }, "kind": { "type": "string" },
                        "enabled": { "type": "boolean" }, "disabled_reason": { "type": "string" },
                        "events": { "type": "array", "items": { "type": "string" } }, "config": { "type": "object" },
                        "secrets_set": { "type": "array", "items": { "type": "string" }, "description": "names only, never values" },
                        "filters": { "$ref": "#/components/schemas/Filters" },
                        "max_age_secs": { "type": "integer" }, "link_ttl_secs": { "type": "integer" },
                        "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
                    }
                },
                "DeliveryState": { "enum": ["pending", "in_flight", "retry_wait", "delivered", "verified", "dead", "no_match", "skipped", "cancelled"] },
                "Delivery": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "destination_id": { "type": "string", "format": "uuid" },
                        "destination_kind": { "type": "string" }, "event": { "type": "string" },
                        "conversation_id": { "type": ["string", "null"] }, "recording_id": { "type": ["string", "null"] }, "alert_id": { "type": ["string", "null"] },
                        "state": { "$ref": "#/components/schemas/DeliveryState" }, "attempts": { "type": "integer" },
                        "due_at": { "type": "string", "format": "date-time" },
                        "last_error": { "type": ["string", "null"] }, "last_status": { "type": ["string", "null"] },
                        "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" },
                        "finished_at": { "type": ["string", "null"], "format": "date-time" },
                        "history": { "type": "array", "items": { "type": "object", "properties": {
                            "attempt": { "type": "integer" }, "at": { "type": "string", "format": "date-time" }, "outcome": { "type": "string" },
                            "status": { "type": ["string", "null"] }, "error": { "type": ["string", "null"] } } } }
                    }
                },
                "TestOutcome": {
                    "type": "object",
                    "properties": {
                        "outcome": { "enum": ["delivered", "verified", "retry", "dead", "no_match", "disable_destination"] },
                        "status": { "type": ["string", "null"] }, "error": { "type": ["string", "null"] }
                    }
                },
                "Alert": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "format": "uuid" }, "tenant_id": { "type": ["string", "null"] },
                        "kind": { "type": "string" }, "subject": { "type": "string" }, "severity": { "enum": ["warning", "critical"] },
                        "message": { "type": "string" }, "detail": { "type": "object" },
                        "first_seen": { "type": "string", "format": "date-time" }, "last_seen": { "type": "string", "format": "date-time" },
                        "count": { "type": "integer" }, "resolved_at": { "type": ["string", "null"], "format": "date-time" }
                    }
                },
                "AuditEvent": {
                    "type": "object",
                    "properties": {
                        "seq": { "type": "integer", "description": "admin keys only" },
                        "cursor": { "type": "string", "description": "tenant keys only: opaque, for after=" },
                        "tenant_id": { "type": ["string", "null"] },
                        "at": { "type": "string", "format": "date-time" }, "actor": { "type": "string" },
                        "action": { "type": "string" }, "subject": { "type": "string" }, "detail": { "type": "object" }
                    }
                }
            }
        }
    });
    add_assurance(&mut doc);
    doc
}

/// Assurance's paths and schemas.
fn add_assurance(doc: &mut Value) {
    let errors = problem_responses(&["400", "401", "403", "404", "503"]);
    let since = json!({ "name": "since", "in": "query", "description": "a span back from now (24h, 7d, 30m) or an RFC 3339 time; default 24h", "schema": { "type": "string" } });
    let tenant = json!({ "name": "tenant", "in": "query", "description": "admin keys: one tenant by name (default: every tenant)", "schema": { "type": "string" } });
    let paths = json!({
        "/v1/assurance": {
            "get": {
                "summary": "Assurance over a window: answered calls, recorded completely, with their copies, delivered (counts and percentages), and the findings, newest first",
                "parameters": [
                    since, tenant,
                    { "name": "until", "in": "query", "schema": { "type": "string" } },
                    { "name": "kind", "in": "query", "schema": { "enum": ["missing", "incomplete", "under_replicated", "undelivered", "orphan_recording"] } },
                    { "name": "open", "in": "query", "schema": { "type": "boolean", "default": true } },
                    { "name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": { "type": "string" } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
                ],
                "responses": with(json!({ "200": { "description": "Summary and findings", "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "since": { "type": "string", "format": "date-time" }, "until": { "type": "string", "format": "date-time" },
                        "summary": { "$ref": "#/components/schemas/AssuranceSummary" },
                        "findings": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } },
                        "next_cursor": { "type": ["string", "null"] } } } } } } }), errors.clone())
            }
        },
        "/v1/assurance/daily": {
            "get": {
                "summary": "The daily completeness report of a UTC day (default yesterday)",
                "parameters": [
                    { "name": "date", "in": "query", "schema": { "type": "string", "format": "date" } }, tenant
                ],
                "responses": with(json!({ "200": { "description": "The day's report", "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "date": { "type": "string", "format": "date" },
                        "summary": { "$ref": "#/components/schemas/AssuranceSummary" },
                        "worst": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } } } } } } } }), errors.clone())
            }
        },
        "/v1/assurance/reconcile": {
            "post": {
                "summary": "Run the reconciliation now (it also runs continuously)",
                "responses": with(json!({ "202": { "description": "Started" } }), errors.clone())
            }
        },
        "/v1/cdrs": {
            "post": {
                "summary": "Import CDRs into the call register (idempotent: the same legs again change nothing)",
                "parameters": [
                    { "name": "format", "in": "query", "schema": { "enum": ["cv_json", "asterisk_csv", "asterisk_custom", "freeswitch_json", "generic"], "default": "cv_json" } }
                ],
                "requestBody": { "required": true, "content": {
                    "application/json": { "schema": { "description": "cv_json: an array of CDR legs" } },
                    "text/csv": { "schema": { "type": "string" } } } },
                "responses": with(json!({ "200": { "description": "Imported", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "legs": { "type": "integer" }, "inserted": { "type": "integer" }, "existing": { "type": "integer" } } } } } } }), errors)
            }
        }
    });
    let schemas = json!({
        "AssuranceSummary": {
            "type": "object",
            "properties": {
                "calls": { "type": "integer" }, "checked": { "type": "integer" },
                "recorded_completely": { "$ref": "#/components/schemas/Share" },
                "with_required_copies": { "$ref": "#/components/schemas/Share" },
                "delivered": { "$ref": "#/components/schemas/Share" },
                "open_findings": { "type": "object", "additionalProperties": { "type": "integer" } }
            }
        },
        "Share": { "type": "object", "properties": { "count": { "type": "integer" }, "percent": { "type": "number" } } },
        "Finding": {
            "type": "object",
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "kind": { "enum": ["missing", "incomplete", "under_replicated", "undelivered", "orphan_recording"] },
                "call_id": { "type": ["string", "null"] }, "recording_id": { "type": ["string", "null"] },
                "conversation_id": { "type": ["string", "null"] },
                "reason": { "type": "string" }, "detail": { "type": "object" },
                "first_seen": { "type": "string", "format": "date-time" }, "last_seen": { "type": "string", "format": "date-time" },
                "resolved_at": { "type": ["string", "null"], "format": "date-time" }, "resolution": { "type": ["string", "null"] }
            }
        }
    });
    if let (Some(p), Value::Object(extra)) =
        (doc.pointer_mut("/paths").and_then(Value::as_object_mut), paths)
    {
        p.extend(extra);
    }
    if let (Some(s), Value::Object(extra)) =
        (doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut), schemas)
    {
        s.extend(extra);
    }
}
