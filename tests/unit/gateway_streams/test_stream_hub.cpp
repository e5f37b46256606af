// StreamHub: exact replay after any event id, live delivery, owners, retention limits.
#include <QtTest>

#include "gateway/conversations/stream_hub.h"

using parley::chat::StreamEvent;
using parley::chat::StreamStarted;
using parley::gateway::StreamHub;
using parley::gateway::StreamHubLimits;

namespace {

StreamEvent token(const QString& stream, const QString& text) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::Token;
    e.streamId = stream;
    e.conversationId = "c1";
    e.messageId = "m1";
    e.text = text;
    return e;
}

StreamEvent done(const QString& stream) {
    StreamEvent e;
    e.kind = StreamEvent::Kind::Done;
    e.streamId = stream;
    e.finishReason = "stop";
    e.completionTokens = 3;
    return e;
}

struct Collected {
    std::vector<StreamEvent> events;
    QString text() const {
        QString all;
        for (const auto& e : events)
            all += e.text;
        return all;
    }
};

StreamHub::Sink collect(Collected& into) {
    return [&into](const StreamEvent& e) { into.events.push_back(e); };
}

}  // namespace

class TestStreamHub : public QObject {
    Q_OBJECT
  private slots:
    void replaysFromEveryEventIdExactly() {
        StreamHub hub;
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "model"});
        const QStringList pieces{"Hel", "lo", ", ", "wörld", "!"};
        for (const auto& p : pieces)
            hub.record("alice", token("s1", p));
        hub.record("alice", done("s1"));

        for (int after = 0; after <= pieces.size() + 1; ++after) {
            Collected got;
            hub.subscribe("alice", "s1", after, collect(got));
            QCOMPARE(int(got.events.size()), pieces.size() + 1 - after);
            for (size_t i = 0; i < got.events.size(); ++i)
                QCOMPARE(got.events[i].sequence, qint64(after + 1 + int(i)));
            QCOMPARE(got.text(), pieces.mid(after).join(QString()));
            if (after <= pieces.size()) {
                QCOMPARE(got.events.back().kind, StreamEvent::Kind::Done);
                QCOMPARE(got.events.back().finishReason, QString("stop"));
                QCOMPARE(got.events.back().completionTokens, qint64(3));
            }
        }
        QCOMPARE(hub.subscriberCount(), 0);  // a finished stream keeps no subscription
    }

    void liveSubscriberGetsReplayThenLiveEventsThenEnds() {
        StreamHub hub;
        hub.record("alice", token("s1", "a"));  // an event may come before open()
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "model"});
        hub.record("alice", token("s1", "b"));
        Collected got;
        const auto sub = hub.subscribe("alice", "s1", 1, collect(got));
        QVERIFY(sub.has_value());
        QCOMPARE(got.text(), QString("b"));
        hub.record("alice", token("s1", "c"));
        QCOMPARE(got.text(), QString("bc"));
        QCOMPARE(got.events.back().sequence, qint64(3));
        QCOMPARE(got.events.back().conversationId, QString("c1"));
        QCOMPARE(hub.subscriberCount(), 1);
        hub.record("alice", done("s1"));
        QCOMPARE(got.events.back().kind, StreamEvent::Kind::Done);
        QCOMPARE(got.events.back().sequence, qint64(4));
        QCOMPARE(hub.subscriberCount(), 0);
        hub.record("alice", token("s1", "late"));  // after the end: dropped
        QCOMPARE(int(got.events.size()), 3);
    }

    void unsubscribedSinkGetsNothingMore() {
        StreamHub hub;
        hub.record("alice", token("s1", "a"));
        Collected got;
        const auto sub = hub.subscribe("alice", "s1", 0, collect(got));
        hub.unsubscribe(*sub);
        hub.record("alice", token("s1", "b"));
        QCOMPARE(got.text(), QString("a"));
        QCOMPARE(hub.subscriberCount(), 0);
    }

    void sinkMayUnsubscribeItselfDuringDelivery() {
        StreamHub hub;
        hub.record("alice", token("s1", "a"));
        Collected other;
        std::optional<quint64> self;
        int calls = 0;
        self = hub.subscribe("alice", "s1", 1, [&](const StreamEvent&) {
            ++calls;
            hub.unsubscribe(*self);
        });
        hub.subscribe("alice", "s1", 1, collect(other));
        hub.record("alice", token("s1", "b"));
        hub.record("alice", token("s1", "c"));
        QCOMPARE(calls, 1);
        QCOMPARE(other.text(), QString("bc"));
    }

    void anotherUsersStreamIsNotFound() {
        StreamHub hub;
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "model"});
        hub.record("alice", token("s1", "secret"));
        Collected got;
        QVERIFY(!hub.subscribe("bob", "s1", 0, collect(got)).has_value());
        QVERIFY(!hub.subscribe("alice", "nope", 0, collect(got)).has_value());
        QVERIFY(got.events.empty());
        QVERIFY(hub.isVisibleTo("alice", "s1"));
        QVERIFY(!hub.isVisibleTo("bob", "s1"));
        // Bob's service cannot write into Alice's stream either.
        hub.record("bob", token("s1", "forged"));
        hub.subscribe("alice", "s1", 0, collect(got));
        QCOMPARE(got.text(), QString("secret"));
    }

    void keepsAtMostTheConfiguredFinishedStreamsPerUser() {
        StreamHub hub(
            StreamHubLimits{.retainFinishedMs = 60'000, .maxFinishedPerUser = 3, .minRetainMs = 0});
        for (int i = 0; i < 5; ++i) {
            const QString id = QString("s%1").arg(i);
            hub.record("alice", token(id, "x"));
            hub.record("alice", done(id));
        }
        hub.record("bob", token("b0", "y"));  // running streams are never dropped
        QCOMPARE(hub.streamCount(), 4);
        QVERIFY(!hub.contains("s0"));
        QVERIFY(!hub.contains("s1"));
        QVERIFY(hub.contains("s4"));
        QVERIFY(hub.contains("b0"));
    }

    // A repeated send answers with the id of a stream the hub already forgot: it must stay
    // "not found" (the client reads the conversation), never an empty stream that never ends.
    void aForgottenStreamIsNotOpenedAgain() {
        StreamHub hub(
            StreamHubLimits{.retainFinishedMs = 60'000, .maxFinishedPerUser = 1, .minRetainMs = 0});
        auto slot = std::make_shared<int>(1);
        std::weak_ptr<int> held = slot;
        for (const QString id : {"s1", "s2"}) {
            hub.record("alice", token(id, "x"));
            hub.record("alice", done(id));
        }
        QVERIFY(!hub.contains("s1"));
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "model"}, std::move(slot));
        QVERIFY(!hub.contains("s1"));
        QVERIFY(held.expired());  // its quota slot is not kept either
        Collected got;
        QVERIFY(!hub.subscribe("alice", "s1", 0, collect(got)).has_value());
    }

    void holdIsReleasedWhenTheStreamEnds() {
        StreamHub hub;
        auto slot = std::make_shared<int>(1);
        std::weak_ptr<int> held = slot;
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "model"}, std::move(slot));
        hub.record("alice", token("s1", "x"));
        QVERIFY(!held.expired());
        hub.record("alice", done("s1"));
        QVERIFY(held.expired());
    }

    void endObserverSeesEachEndOnce() {
        StreamHub hub;
        int ends = 0;
        hub.setEndObserver([&](const QString& user, const QString& model, const StreamEvent& e) {
            ++ends;
            QCOMPARE(user, QString("alice"));
            QCOMPARE(model, QString("smol"));
            QCOMPARE(e.completionTokens, qint64(3));
        });
        hub.open("alice", "c1", StreamStarted{"s1", "u1", "m1", "smol"});
        hub.record("alice", token("s1", "x"));
        hub.record("alice", done("s1"));
        hub.record("alice", done("s1"));  // a second end is dropped
        QCOMPARE(ends, 1);
    }

    void keepsRecentlyFinishedStreamsWhateverTheirNumber() {
        StreamHub hub(StreamHubLimits{
            .retainFinishedMs = 60'000, .maxFinishedPerUser = 2, .minRetainMs = 60'000});
        for (int i = 0; i < 10; ++i) {
            const QString id = QString("s%1").arg(i);
            hub.record("alice", token(id, "x"));
            hub.record("alice", done(id));
        }
        QCOMPARE(hub.streamCount(), 10);  // a client attaching late still finds its stream
    }

    void forgetsFinishedStreamsAfterTheRetentionTime() {
        StreamHub hub(
            StreamHubLimits{.retainFinishedMs = 50, .maxFinishedPerUser = 100, .minRetainMs = 0});
        hub.record("alice", token("old", "x"));
        hub.record("alice", done("old"));
        QVERIFY(hub.contains("old"));
        QTest::qWait(80);
        hub.record("alice", token("new", "y"));
        hub.record("alice", done("new"));
        QVERIFY(!hub.contains("old"));
        QVERIFY(hub.contains("new"));
    }
};

QTEST_GUILESS_MAIN(TestStreamHub)
#include "test_stream_hub.moc"
