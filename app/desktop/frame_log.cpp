#include "frame_log.h"

#include <QEvent>
#include <QQuickWindow>
#include <QSaveFile>

#include "app_logging.h"
#include "chat_controller.h"

namespace parley::app {

FrameLog::FrameLog(QQuickWindow* window, ChatController* chat, QElapsedTimer sinceStart,
                   QString path)
    : sinceStart_(sinceStart), path_(std::move(path)) {
    lines_.reserve(1 << 16);
    window->installEventFilter(this);
    // The scene is synchronised with the items while the UI thread waits: a frame shows the
    // model's state only if its synchronisation came after the change.
    connect(
        window, &QQuickWindow::afterSynchronizing, this, [this] { add("synced"); },
        Qt::DirectConnection);
    connect(
        window, &QQuickWindow::frameSwapped, this, [this] { add("frame"); }, Qt::DirectConnection);
    connect(chat, &ChatController::conversationOpened, this,
            [this, chat] { add("opened", chat->messages()->rowCount()); });
}

bool FrameLog::eventFilter(QObject* watched, QEvent* event) {
    switch (event->type()) {
        case QEvent::MouseButtonPress:
            add("press");
            break;
        case QEvent::MouseButtonRelease:
            add("release");
            break;
        case QEvent::Wheel:
            add("wheel");
            break;
        default:
            break;
    }
    return QObject::eventFilter(watched, event);
}

void FrameLog::add(const char* what, qint64 value) {
    QByteArray line = QByteArray::number(sinceStart_.nsecsElapsed() / 1e6, 'f', 3) + ' ' + what;
    if (value >= 0)
        line += ' ' + QByteArray::number(value);
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
}

bool FrameLog::write() const {
    QSaveFile file(path_);
    bool ok = file.open(QIODevice::WriteOnly);
    std::lock_guard lock(mutex_);
    for (const QByteArray& line : lines_)
        ok = ok && file.write(line + '\n') > 0;
    if (ok && file.commit())
        return true;
    qCWarning(lcApp).noquote() << "cannot write the frame log" << path_ << file.errorString();
    return false;
}

}  // namespace parley::app
