// The Host and Origin allow-lists (DNS-rebinding and CSRF defence), with the edge cases other
// servers got wrong (empty Host, port only, trailing dot, case, IPv6).
#include <QtTest>

#include "gateway/http/host_policy.h"

using parley::gateway::HostPolicy;

class TestGatewayHostPolicy : public QObject {
    Q_OBJECT
  private slots:
    void hosts_data() {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("localhost") << QByteArray("localhost") << true;
        QTest::newRow("localhost:port") << QByteArray("localhost:8080") << true;
        QTest::newRow("uppercase") << QByteArray("LOCALHOST:8080") << true;
        QTest::newRow("trailing dot") << QByteArray("localhost.:8080") << true;
        QTest::newRow("ipv4") << QByteArray("127.0.0.1:1") << true;
        QTest::newRow("ipv6") << QByteArray("[::1]:8080") << true;
        QTest::newRow("ipv6 bare") << QByteArray("[::1]") << true;
        QTest::newRow("team name") << QByteArray("parley.example.org") << true;
        QTest::newRow("empty") << QByteArray("") << false;
        QTest::newRow("spaces") << QByteArray("   ") << false;
        QTest::newRow("port only") << QByteArray(":8080") << false;
        QTest::newRow("rebinding name") << QByteArray("attacker.example") << false;
        QTest::newRow("suffix trick") << QByteArray("localhost.attacker.example") << false;
        QTest::newRow("prefix trick") << QByteArray("attacker-localhost") << false;
        QTest::newRow("other ipv6") << QByteArray("[::2]:8080") << false;
        QTest::newRow("bad port") << QByteArray("localhost:80x") << false;
        QTest::newRow("userinfo") << QByteArray("evil@localhost") << false;
        QTest::newRow("unclosed bracket") << QByteArray("[::1:8080") << false;
        QTest::newRow("junk after bracket") << QByteArray("[::1]x") << false;
        QTest::newRow("double dot") << QByteArray("localhost..") << false;
    }
    void hosts() {
        QFETCH(QByteArray, host);
        QFETCH(bool, allowed);
        const HostPolicy policy({"localhost", "127.0.0.1", "[::1]", "Parley.Example.org"}, {});
        QCOMPARE(policy.hostAllowed(host), allowed);
    }

    void origins() {
        const HostPolicy none({"localhost"}, {});
        QVERIFY(!none.originAllowed("http://localhost:8080"));
        QVERIFY(!none.originAllowed("null"));
        const HostPolicy some({"localhost"}, {"https://chat.example.org/"});
        QVERIFY(some.originAllowed("https://chat.example.org"));
        QVERIFY(some.originAllowed("HTTPS://CHAT.EXAMPLE.ORG"));
        QVERIFY(!some.originAllowed("http://chat.example.org"));
        QVERIFY(!some.originAllowed("https://chat.example.org.evil.example"));
        QVERIFY(!some.originAllowed("*"));
        QVERIFY(!some.originAllowed(""));
    }
};

QTEST_GUILESS_MAIN(TestGatewayHostPolicy)
#include "test_gateway_host_policy.moc"
