// Transport limits of one connection: what a client may send and how slowly. Exceeding one ends
// the request with a 4xx (413, 431, 408) and closes the connection, so a hostile client costs a
// bounded amount of memory and time.
#pragma once

#include <QtGlobal>

namespace parley::gateway {

struct HttpLimits {
    qint64 maxHeaderBytes = 16 * 1024;  // request line and headers together
    int maxHeaderCount = 64;
    qint64 maxBodyBytes = 1024 * 1024;
    int headerTimeoutMs = 10'000;  // from the first byte of a request to the end of its headers
    int bodyTimeoutMs = 30'000;    // from the end of the headers to the end of the body
    int idleTimeoutMs = 60'000;    // a kept-alive connection with no request
    // Output a client has not read yet; beyond it the client is too slow and is dropped.
    qint64 maxUnsentBytes = 4 * 1024 * 1024;
};

}  // namespace parley::gateway
