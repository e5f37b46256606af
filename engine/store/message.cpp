#include "store/message.h"

#include <array>
#include <utility>

namespace parley::store {

namespace {

constexpr std::array<std::pair<MessageStatus, const char*>, 5> kStatusNames{{
    {MessageStatus::Streaming, "streaming"},
    {MessageStatus::Complete, "complete"},
    {MessageStatus::Cancelled, "cancelled"},
    {MessageStatus::Interrupted, "interrupted"},
    {MessageStatus::Failed, "failed"},
}};

}  // namespace

QString statusName(MessageStatus status) {
    for (const auto& [value, name] : kStatusNames) {
        if (value == status) {
            return QString::fromLatin1(name);
        }
    }
    return {};
}

std::optional<MessageStatus> statusFromName(const QString& text) {
    for (const auto& [value, name] : kStatusNames) {
        if (text == QLatin1String(name)) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace parley::store
