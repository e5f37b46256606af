#include <QtTest>

#include "inference/generate/stop_matcher.h"

using parley::generate::StopMatcher;

class TestStopMatcher : public QObject {
    Q_OBJECT
  private slots:
    void passesTextWithoutStops() {
        StopMatcher m({});
        QCOMPARE(QString::fromStdString(m.push("hello ")), QString("hello "));
        QCOMPARE(QString::fromStdString(m.flush()), QString());
        QVERIFY(!m.stopped());
    }

    void holdsBackPossibleStart() {
        StopMatcher m({"</end>"});
        QCOMPARE(QString::fromStdString(m.push("abc</e")), QString("abc"));
        QCOMPARE(QString::fromStdString(m.push("x")), QString("</ex"));
        QVERIFY(!m.stopped());
    }

    void stopsAcrossPieces() {
        StopMatcher m({"STOP", "\n\n"});
        QCOMPARE(QString::fromStdString(m.push("one S")), QString("one "));
        QCOMPARE(QString::fromStdString(m.push("TO")), QString());
        QCOMPARE(QString::fromStdString(m.push("P and more")), QString());
        QVERIFY(m.stopped());
        QCOMPARE(QString::fromStdString(m.push("ignored")), QString());
        QCOMPARE(QString::fromStdString(m.flush()), QString());
    }

    void earliestStopWins() {
        StopMatcher m({"b", "a"});
        QCOMPARE(QString::fromStdString(m.push("xxab")), QString("xx"));
        QVERIFY(m.stopped());
    }

    void flushReleasesHeldTail() {
        StopMatcher m({"###"});
        QCOMPARE(QString::fromStdString(m.push("end ##")), QString("end "));
        QCOMPARE(QString::fromStdString(m.flush()), QString("##"));
    }
};

QTEST_GUILESS_MAIN(TestStopMatcher)
#include "test_stop_matcher.moc"
