// For durability tests: a helper process from PARLEY_BIN_DIR that reports its progress on stdout
// while it writes to a store, and that the test kills with SIGKILL mid-write.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <signal.h>

namespace parley::testing {

// Starts PARLEY_BIN_DIR/<program> with `arguments`, its stderr forwarded to the test's; false
// (child.errorString() says why) when it has not started within 10 s.
inline bool startChild(QProcess& child, const QString& program, const QStringList& arguments) {
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QStringLiteral(PARLEY_BIN_DIR "/") + program, arguments);
    return child.waitForStarted(10000);
}

// Kills `child` with SIGKILL and waits for it; true when it ended by the signal within 10 s.
inline bool killWithSigkill(QProcess& child) {
    return ::kill(pid_t(child.processId()), SIGKILL) == 0 && child.waitForFinished(10000) &&
           child.exitStatus() == QProcess::CrashExit;
}

}  // namespace parley::testing
