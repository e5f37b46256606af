#include <QtTest>

#include <atomic>
#include <vector>

#include "inference/cpu/thread_pool.h"

using parley::cpu::ThreadPool;

class TestThreadPool : public QObject {
    Q_OBJECT
  private slots:
    void coversEveryIndexOnce_data() {
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("n");
        for (int threads : {1, 2, 3, 5}) {
            for (int n : {1, 2, 7, 64, 1000}) {
                QTest::addRow("threads=%d n=%d", threads, n) << threads << n;
            }
        }
    }

    void coversEveryIndexOnce() {
        QFETCH(int, threads);
        QFETCH(int, n);
        ThreadPool pool(threads);
        QCOMPARE(pool.size(), threads);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> badThreadIndex{0};
        std::atomic<int> emptyRanges{0};
        constexpr int kRepeats = 200;
        for (int repeat = 0; repeat < kRepeats; ++repeat) {
            pool.parallelFor(n, [&](int64_t begin, int64_t end, int thread) {
                if (thread < 0 || thread >= threads)
                    badThreadIndex.fetch_add(1);
                if (begin >= end)
                    emptyRanges.fetch_add(1);
                for (int64_t i = begin; i < end; ++i)
                    hits[static_cast<size_t>(i)].fetch_add(1);
            });
        }
        QCOMPARE(badThreadIndex.load(), 0);
        QCOMPARE(emptyRanges.load(), 0);
        for (int i = 0; i < n; ++i)
            QCOMPARE(hits[static_cast<size_t>(i)].load(), kRepeats);
    }

    void zeroItemsCallsNothing() {
        ThreadPool pool(2);
        int calls = 0;
        pool.parallelFor(0, [&](int64_t, int64_t, int) { ++calls; });
        QCOMPARE(calls, 0);
    }

    void workersTakePart() {
        // With a slow body and more items than threads, more than one thread must do work.
        ThreadPool pool(2);
        std::atomic<int> usedMask{0};
        pool.parallelFor(64, [&](int64_t, int64_t, int thread) {
            usedMask.fetch_or(1 << thread);
            QThread::usleep(2000);
        });
        QCOMPARE(usedMask.load(), 3);
    }

    void nestedCallRunsInline() {
        ThreadPool pool(3);
        std::atomic<int> total{0};
        pool.parallelFor(6, [&](int64_t begin, int64_t end, int) {
            for (int64_t i = begin; i < end; ++i) {
                pool.parallelFor(10, [&](int64_t b, int64_t e, int) {
                    total.fetch_add(static_cast<int>(e - b));
                });
            }
        });
        QCOMPARE(total.load(), 60);
    }

    void defaultSizeIsAtLeastOne() {
        ThreadPool pool(0);
        QVERIFY(pool.size() >= 1);
    }
};

QTEST_GUILESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
