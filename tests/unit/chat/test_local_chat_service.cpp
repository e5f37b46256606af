// LocalChatService on the real SmolLM2 and real SQLite files passes the ChatService conformance
// cases (chat_service_conformance.h). What only the in-process pipeline shows is in
// test_chat_pipeline.cpp.
#include <QtTest>

#include "chat_fixture.h"
#include "chat_service_conformance.h"
#include "inference/catalog/model_catalog.h"
#include "serving/model_registry.h"

using namespace parley;
using namespace parley::chat;
using testing::await;
using testing::ChatFixture;
using testing::StreamRecorder;

namespace {

ChatSettings quietSettings() {
    ChatSettings settings;
    settings.generateTitles = false;
    settings.summarize = false;
    return settings;
}

}  // namespace

class TestLocalChatService : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<serving::ModelRegistry> registry_;

  private slots:
    void initTestCase() {
        serving::RegistryConfig config;
        config.kvBudgetBytes = 128ll << 20;
        registry_ = std::make_unique<serving::ModelRegistry>(config);
        auto loaded =
            registry_->load(catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf");
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
    }

    void conversationLifecycle() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::conversationLifecycle(*s);
    }
    void sendStreamsAndPersists() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::sendStreamsAndPersists(*s);
    }
    void idempotentSend() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::idempotentSend(*s);
    }
    void cancelKeepsPartialAnswer() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::cancelKeepsPartialAnswer(*s);
    }
    void deleteWhileStreaming() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::deleteWhileStreaming(*s);
    }
    void branchesAndSwitching() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::branchesAndSwitching(*s);
    }
    void continueAnswer() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::continueAnswer(*s);
    }
    void searchFindsMessages() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::searchFindsMessages(*s);
    }
    void exportImportRoundTrip() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::exportImportRoundTrip(*s);
    }
    void usersAreIsolated() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* ada = f.addUser("ada");
        auto* bob = f.addUser("bob");
        QVERIFY(ada && bob);
        conformance::usersAreIsolated(*ada, *bob);
    }
    void titleIsGenerated() {
        ChatSettings settings = quietSettings();
        settings.generateTitles = true;
        ChatFixture f(registry_.get(), settings);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::titleIsGenerated(*s);
    }
    void invalidRequestsFail() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformance::invalidRequestsFail(*s);
    }
};

QTEST_GUILESS_MAIN(TestLocalChatService)
#include "test_local_chat_service.moc"
