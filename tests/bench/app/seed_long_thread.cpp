// parley-bench-seed-thread [COUNT [DATA_DIR]]: gives the desktop app's local user (data folder
// DATA_DIR, default the app's own under the current XDG folders) one thread of COUNT messages
// (default 2,000): questions, and answers in
// Markdown with headings, lists, a table and a code block in one of several languages, the
// way a long real chat looks. The desktop bench (run_app_bench.sh) opens and scrolls it.
#include <QCoreApplication>

#include <cstdio>
#include <cstdlib>

#include "app_settings.h"
#include "app_test_support.h"
#include "local_backend.h"

namespace {

QString answerText(int i) {
    struct Sample {
        const char* language;
        const char* code;
    };
    static const Sample samples[] = {
        {"cpp",
         "#include <vector>\n\nint sum(const std::vector<int>& values) {\n    int total = 0;\n"
         "    for (int v : values)\n        total += v * %1;\n    return total;\n}"},
        {"python",
         "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
         "    return a * %1\n\nprint(fib(10))"},
        {"bash",
         "#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.log; do\n"
         "    grep -c ERROR \"$f\" | tee -a counts-%1.txt\ndone"},
        {"json", "{\n  \"id\": %1,\n  \"name\": \"example\",\n  \"tags\": [\"a\", \"b\"]\n}"},
    };
    const Sample& sample = samples[i % 4];
    QString text = QStringLiteral(
                       "### Step %1\n\nHere is **how** it works, with `inline code` and a "
                       "[link](https://example.com/%1):\n\n1. read the input\n2. transform it\n"
                       "3. write the *result*\n\n```%2\n")
                       .arg(i)
                       .arg(QLatin1String(sample.language));
    text += QString::fromLatin1(sample.code).arg(i);
    text += QStringLiteral("\n```\n\nThe loop runs once per item, so it takes linear time.");
    if (i % 10 == 1)
        text += QStringLiteral("\n\n| n | time |\n|---|---|\n| 10 | 1 ms |\n| %1 | 9 ms |").arg(i);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Parley"));
    QCoreApplication::setApplicationName(QStringLiteral("Parley"));
    const int count = argc > 1 ? std::atoi(argv[1]) : 2000;
    if (count <= 0) {
        std::fprintf(stderr, "usage: %s [COUNT [DATA_DIR]]\n", argv[0]);
        return 2;
    }
    const QString dataDirectory =
        argc > 2 ? QString::fromLocal8Bit(argv[2]) : parley::app::AppSettings().dataLocation();
    QString databasePath;
    QString userId;
    {
        // The app's own start-up makes the store and the local user the app will open.
        auto backend = parley::app::LocalBackend::open(dataDirectory);
        if (!backend) {
            std::fprintf(stderr, "%s\n", backend.error().message.c_str());
            return 1;
        }
        databasePath = backend.value()->databasePath();
        userId = backend.value()->service().userId();
    }
    auto seeded = parley::app_test::seedThread(
        databasePath, userId, QStringLiteral("A long thread"), count,
        [](int i) {
            return QStringLiteral("Question %1: how would I write step %2?").arg(i).arg(i + 1);
        },
        answerText, QStringLiteral("bench"));
    if (!seeded) {
        std::fprintf(stderr, "cannot seed %s: %s\n", qPrintable(databasePath),
                     seeded.error().message.c_str());
        return 1;
    }
    std::printf("%s\n", qPrintable(seeded.value()));
    return 0;
}
