// Posts work to a QObject's thread for as long as that object lives. Other threads (the store
// thread replying, an engine thread streaming) hold a shared_ptr to the mailbox; the owner closes
// it in its destructor, after which posts are dropped instead of reaching a deleted object.
#pragma once

#include <QMetaObject>
#include <QObject>

#include <functional>
#include <memory>
#include <mutex>

namespace parley::chat {

class Mailbox {
  public:
    explicit Mailbox(QObject* target) : target_(target) {}

    static std::shared_ptr<Mailbox> create(QObject* target) {
        return std::make_shared<Mailbox>(target);
    }

    // Runs `work` later on the target's thread; false when the mailbox is closed.
    bool post(std::function<void()> work) {
        std::lock_guard lock(mutex_);
        if (target_ == nullptr) {
            return false;
        }
        // Posting only queues an event, so holding the lock meanwhile cannot stall anyone.
        return QMetaObject::invokeMethod(target_, std::move(work), Qt::QueuedConnection);
    }

    // Called by the target (on its own thread) before it goes away.
    void close() {
        std::lock_guard lock(mutex_);
        target_ = nullptr;
    }

  private:
    std::mutex mutex_;
    QObject* target_;
};

}  // namespace parley::chat
