// GET /v1/streams/{id} as Server-Sent Events: the answer's events from the StreamHub as
// `id:`/`event:`/`data:` frames (a replay of the events after Last-Event-ID first), a comment line
// every `heartbeatMs` so that idle proxies keep the connection, and the end of the response after
// the done or error event.
//
// A client that disconnects (or is dropped by the gateway as too slow) only ends its
// subscription: the answer goes on and can be resumed. Only POST /v1/streams/{id}/cancel stops it.
#pragma once

#include <QString>

#include "gateway/http/request_context.h"

namespace parley::gateway {

class StreamHub;

// The event id to resume after: the Last-Event-ID header, else the `last_event_id` query
// parameter (for clients that cannot set headers), else 0. Nullopt when present but not a
// non-negative integer.
std::optional<qint64> lastEventId(const HttpRequest& request);

// Answers 404 when the stream is unknown or not `userId`'s, like any unknown id.
void serveStreamEvents(StreamHub& hub, const RequestContextPtr& ctx, const QString& userId,
                       const QString& streamId, qint64 afterId, int heartbeatMs = 15'000);

}  // namespace parley::gateway
