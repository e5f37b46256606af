#include "gateway/gateway_services.h"

#include <QMetaObject>

namespace parley::gateway {

void GatewayServices::post(std::function<void()> work) const {
    const std::lock_guard lock(postTarget->mutex);
    if (postTarget->loop)
        QMetaObject::invokeMethod(postTarget->loop, std::move(work), Qt::QueuedConnection);
}

}  // namespace parley::gateway
