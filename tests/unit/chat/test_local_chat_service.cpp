// LocalChatService on the real SmolLM2 and real SQLite files passes the ChatService conformance
// cases (chat_service_conformance.h). What only the in-process pipeline shows is in
// test_chat_pipeline.cpp.
#include <QtTest>

#include "chat_fixture.h"
#include "chat_service_conformance.h"

using namespace parley;
using namespace parley::chat;
using testing::ChatFixture;
using testing::loadSmolLM2;
using testing::quietSettings;

class TestLocalChatService : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<serving::ModelRegistry> registry_;

    // One conformance case for user "ada" on a fresh store.
    void runCase(void (*conformanceCase)(ChatService&), ChatSettings settings = quietSettings()) {
        ChatFixture f(registry_.get(), settings);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        conformanceCase(*s);
    }

  private slots:
    void initTestCase() {
        auto registry = loadSmolLM2();
        QVERIFY2(registry.ok(), registry.ok() ? "" : registry.error().message.c_str());
        registry_ = std::move(registry.value());
    }

    void conversationLifecycle() { runCase(conformance::conversationLifecycle); }
    void sendStreamsAndPersists() { runCase(conformance::sendStreamsAndPersists); }
    void idempotentSend() { runCase(conformance::idempotentSend); }
    void cancelKeepsPartialAnswer() { runCase(conformance::cancelKeepsPartialAnswer); }
    void deleteWhileStreaming() { runCase(conformance::deleteWhileStreaming); }
    void branchesAndSwitching() { runCase(conformance::branchesAndSwitching); }
    void continueAnswer() { runCase(conformance::continueAnswer); }
    void searchFindsMessages() { runCase(conformance::searchFindsMessages); }
    void exportImportRoundTrip() { runCase(conformance::exportImportRoundTrip); }
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
        runCase(conformance::titleIsGenerated, settings);
    }
    void invalidRequestsFail() { runCase(conformance::invalidRequestsFail); }
};

QTEST_GUILESS_MAIN(TestLocalChatService)
#include "test_local_chat_service.moc"
