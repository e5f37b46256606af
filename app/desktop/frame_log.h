// A timeline of the window for the desktop bench (tests/bench/app): mouse and wheel input, a
// thread opened (with its row count), every scene synchronisation and every frame swapped, in
// milliseconds since the app started. Turned on by PARLEY_FRAME_LOG=<file>; the lines are kept in
// memory and written when the app quits, so recording costs the UI thread no disk I/O while it is
// measured.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <mutex>
#include <vector>

class QQuickWindow;

namespace parley::app {

class ChatController;

class FrameLog : public QObject {
    Q_OBJECT
  public:
    FrameLog(QQuickWindow* window, ChatController* chat, QElapsedTimer sinceStart, QString path);

    // Writes the timeline to the file; false (with a warning) when it cannot.
    bool write() const;

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void add(const char* what, qint64 value = -1);

    QElapsedTimer sinceStart_;
    QString path_;
    mutable std::mutex mutex_;  // frames are swapped on the render thread
    std::vector<QByteArray> lines_;
};

}  // namespace parley::app
