#include "chat/chat_core.h"

namespace parley::chat {

ChatCore::ChatCore(ChatCoreConfig config, QObject* parent)
    : QObject(parent), worker_(new ChatWorker(std::move(config))) {
    qRegisterMetaType<parley::chat::StreamEvent>();
    thread_.setObjectName(QStringLiteral("parley-chat"));
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.start();
    QMetaObject::invokeMethod(worker_, &ChatWorker::open, Qt::QueuedConnection);
}

ChatCore::~ChatCore() {
    QMetaObject::invokeMethod(worker_, &ChatWorker::shutdown, Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
}

void ChatCore::whenReady(const std::shared_ptr<Mailbox>& replyTo,
                         std::function<void(Status)> reply) {
    run<Ok>(
        replyTo, [](ChatWorker& worker) { return worker.openStatus(); }, std::move(reply));
}

void ChatCore::createUser(const QString& name, const std::shared_ptr<Mailbox>& replyTo,
                          std::function<void(Result<QString>)> reply) {
    run<QString>(
        replyTo, [name](ChatWorker& worker) { return worker.createUser(name); }, std::move(reply));
}

}  // namespace parley::chat
