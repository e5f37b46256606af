// A ChatCore on a fresh SQLite file in a temporary directory, with users and their services;
// the registry with SmolLM2 that the model tests share.
#pragma once

#include <QTemporaryDir>

#include <memory>

#include "chat/chat_core.h"
#include "chat/local_chat_service.h"
#include "chat_test_support.h"
#include "inference/catalog/model_catalog.h"
#include "serving/model_registry.h"

namespace parley::chat::testing {

// No title or summary jobs, so the only model calls are the test's own.
inline ChatSettings quietSettings() {
    ChatSettings settings;
    settings.generateTitles = false;
    settings.summarize = false;
    return settings;
}

// A registry (128 MiB of KV cache) serving the default SmolLM2 model.
inline Result<std::unique_ptr<serving::ModelRegistry>> loadSmolLM2() {
    serving::RegistryConfig config;
    config.kvBudgetBytes = 128ll << 20;
    auto registry = std::make_unique<serving::ModelRegistry>(config);
    auto loaded = registry->load(catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf");
    if (!loaded) {
        return loaded.error();
    }
    return registry;
}

class ChatFixture {
  public:
    ChatFixture(serving::ModelRegistry* models, ChatSettings settings = {},
                const QString& path = {}) {
        ChatCoreConfig config;
        config.databasePath = path.isEmpty() ? dir_.filePath(QStringLiteral("chat.sqlite")) : path;
        config.models = models;
        config.settings = settings;
        databasePath_ = config.databasePath;
        config_ = config;
        core_ = std::make_unique<ChatCore>(config);
        replies_ = std::make_unique<QObject>();
        mailbox_ = Mailbox::create(replies_.get());
    }
    ~ChatFixture() {
        services_.clear();
        mailbox_->close();
        core_.reset();
    }

    Status ready() {
        return await<Ok>([&](Reply<Ok> r) { core_->whenReady(mailbox_, std::move(r)); });
    }

    // A new user and a service acting for them; nullptr when the user cannot be made.
    LocalChatService* addUser(const QString& name) {
        auto id = await<QString>(
            [&](Reply<QString> r) { core_->createUser(name, mailbox_, std::move(r)); });
        if (!id) {
            return nullptr;
        }
        services_.push_back(std::make_unique<LocalChatService>(*core_, *id));
        return services_.back().get();
    }

    // Closes the store and opens it again (a restart): the services are made anew for the same
    // users, and the old pointers are gone.
    std::vector<LocalChatService*> reopen() {
        std::vector<QString> users;
        for (const auto& s : services_) {
            users.push_back(s->userId());
        }
        services_.clear();
        core_.reset();
        ChatCoreConfig config = config_;
        core_ = std::make_unique<ChatCore>(config);
        std::vector<LocalChatService*> reopened;
        for (const QString& user : users) {
            services_.push_back(std::make_unique<LocalChatService>(*core_, user));
            reopened.push_back(services_.back().get());
        }
        return reopened;
    }

    ChatCore& core() { return *core_; }
    const QString& databasePath() const { return databasePath_; }

  private:
    QTemporaryDir dir_;
    QString databasePath_;
    ChatCoreConfig config_;
    std::unique_ptr<ChatCore> core_;
    std::unique_ptr<QObject> replies_;
    std::shared_ptr<Mailbox> mailbox_;
    std::vector<std::unique_ptr<LocalChatService>> services_;
};

}  // namespace parley::chat::testing
