// TokenStream: events pushed through its callback (from another thread) come out in order, next()
// times out when nothing arrived, and copies of a stream (and its callback) share one queue.
#include "serving/token_stream.h"

#include <QtTest>

#include <thread>

using namespace parley::serving;
using namespace std::chrono_literals;

class TestTokenStream : public QObject {
    Q_OBJECT

  private slots:
    void deliversInOrderAcrossThreads() {
        TokenStream stream;
        const StreamCallback push = stream.callback();
        constexpr int kEvents = 1000;
        std::thread producer([push] {
            for (int i = 0; i < kEvents; ++i) {
                StreamEvent e;
                e.text = std::to_string(i);
                push(std::move(e));
            }
            StreamEvent finish;
            finish.kind = StreamEvent::Kind::Finish;
            finish.reason = CompletionReason::Length;
            push(std::move(finish));
        });
        for (int i = 0; i < kEvents; ++i) {
            const auto event = stream.next(5s);
            QVERIFY(event.has_value());
            QCOMPARE(event->kind, StreamEvent::Kind::Text);
            QCOMPARE(event->text, std::to_string(i));
        }
        QVERIFY(!stream.finished());
        const auto last = stream.next(5s);
        producer.join();
        QVERIFY(last.has_value());
        QCOMPARE(last->reason, CompletionReason::Length);
        QVERIFY(stream.finished());
    }

    void nextTimesOutWhenEmpty() {
        TokenStream stream;
        const auto start = std::chrono::steady_clock::now();
        QVERIFY(!stream.next(20ms).has_value());
        QVERIFY(std::chrono::steady_clock::now() - start >= 20ms);
    }

    void copiesShareOneQueueThatTheCallbackKeepsAlive() {
        StreamCallback push;
        std::optional<TokenStream> reader;
        {
            TokenStream stream;
            push = stream.callback();
            reader = stream;
        }
        StreamEvent event;
        event.text = "kept";
        push(std::move(event));
        const auto received = reader->next(0ms);
        QVERIFY(received.has_value());
        QCOMPARE(received->text, std::string("kept"));
    }

    void reasonNames() {
        QCOMPARE(completionReasonName(CompletionReason::Stop), "stop");
        QCOMPARE(completionReasonName(CompletionReason::Length), "length");
        QCOMPARE(completionReasonName(CompletionReason::Cancelled), "cancelled");
        QCOMPARE(completionReasonName(CompletionReason::Error), "error");
    }
};

QTEST_GUILESS_MAIN(TestTokenStream)
#include "test_token_stream.moc"
