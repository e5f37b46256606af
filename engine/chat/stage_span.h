// A timed span of one pipeline stage: logs the stage's name, the request and how long it took
// under parley.chat.pipeline when it goes out of scope.
#pragma once

#include <QElapsedTimer>
#include <QString>

#include "chat/logging.h"

namespace parley::chat {

class StageSpan {
  public:
    StageSpan(const char* stage, const QString& requestId) : stage_(stage), requestId_(requestId) {
        timer_.start();
    }
    ~StageSpan() {
        qCDebug(lcChatPipeline).noquote()
            << requestId_ << stage_ << QString::number(timer_.nsecsElapsed() / 1e6, 'f', 2) << "ms";
    }
    StageSpan(const StageSpan&) = delete;
    StageSpan& operator=(const StageSpan&) = delete;

  private:
    const char* stage_;
    QString requestId_;
    QElapsedTimer timer_;
};

}  // namespace parley::chat
