// What every LocalChatService of a process shares: the chat worker on its own thread (the store's
// one writer connection, the pipeline, the active streams), the model registry and the settings.
//
//   ChatCore core({.databasePath = path, .models = &registry});   // any thread, returns at once
//   LocalChatService chats(core, userId);                        // one per user, any thread
//
// Work is posted to the worker thread; replies come back queued to the thread of the object that
// asked (a LocalChatService's own thread). Destroying the ChatCore ends active answers (kept as
// interrupted) and joins the worker thread; destroy the services first.
#pragma once

#include <QObject>
#include <QThread>

#include <functional>
#include <memory>

#include "chat/chat_worker.h"
#include "chat/mailbox.h"

namespace parley::chat {

class ChatCore : public QObject {
    Q_OBJECT
  public:
    explicit ChatCore(ChatCoreConfig config, QObject* parent = nullptr);
    ~ChatCore() override;

    // Replies (through `replyTo`, on its thread) once the store is open, or why it is not.
    void whenReady(const std::shared_ptr<Mailbox>& replyTo, std::function<void(Status)> reply);

    // Runs `job` on the worker thread and hands its result to `reply` on replyTo's thread; when
    // replyTo has closed meanwhile the result is dropped.
    template <class T>
    void run(const std::shared_ptr<Mailbox>& replyTo, std::function<Result<T>(ChatWorker&)> job,
             std::function<void(Result<T>)> reply) {
        ChatWorker* worker = worker_;
        QMetaObject::invokeMethod(
            worker,
            [worker, replyTo, job = std::move(job), reply = std::move(reply)]() {
                Result<T> result = job(*worker);
                replyTo->post([reply, result = std::move(result)]() { reply(result); });
            },
            Qt::QueuedConnection);
    }

    // For a new local install or a test: adds a user and replies with its id.
    void createUser(const QString& name, const std::shared_ptr<Mailbox>& replyTo,
                    std::function<void(Result<QString>)> reply);

    // Signals of the worker (emitted on the worker thread; connect queued).
    ChatWorker* worker() const { return worker_; }

  private:
    QThread thread_;
    ChatWorker* worker_;  // lives on thread_, deleted there when it finishes
};

}  // namespace parley::chat
