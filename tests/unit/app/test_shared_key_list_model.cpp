// SharedKeyListModel under QAbstractItemModelTester: keys appear, go and stay in place as the
// server's list changes, with their roles.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include "shared_key_list_model.h"

using parley::app::SharedKey;
using parley::app::SharedKeyListModel;

class TestSharedKeyListModel : public QObject {
    Q_OBJECT

    static SharedKey key(const QString& id, const QString& name) {
        return {id, QStringLiteral("user-") + id, name, QStringLiteral("parley-") + id,
                QDateTime::fromMSecsSinceEpoch(1700000000000 + id.toLongLong())};
    }

    static QStringList ids(const SharedKeyListModel& model) {
        QStringList out;
        for (int row = 0; row < model.rowCount(); ++row)
            out.append(model.data(model.index(row), SharedKeyListModel::KeyIdRole).toString());
        return out;
    }

  private slots:
    void followsTheServersList() {
        SharedKeyListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy counts(&model, &SharedKeyListModel::countChanged);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

        model.setKeys({key("1", "Ann"), key("2", "Bob")});
        QCOMPARE(ids(model), (QStringList{"1", "2"}));
        QCOMPARE(counts.count(), 1);
        QCOMPARE(model.data(model.index(1), SharedKeyListModel::NameRole).toString(), "Bob");
        QCOMPARE(model.data(model.index(1), SharedKeyListModel::PrefixRole).toString(), "parley-2");
        QCOMPARE(model.data(model.index(1), SharedKeyListModel::CreatedAtRole).toDateTime(),
                 QDateTime::fromMSecsSinceEpoch(1700000000002));
        QCOMPARE(model.roleNames().value(SharedKeyListModel::KeyIdRole), "keyId");

        // Bob's key revoked, Cy's made: Ann's row is the same row, not a reset.
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.setKeys({key("1", "Ann"), key("3", "Cy")});
        QCOMPARE(ids(model), (QStringList{"1", "3"}));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.first().at(1).toInt(), 1);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 1);
        QCOMPARE(resets.count(), 0);
        QCOMPARE(counts.count(), 1);  // two rows before, two after

        QVERIFY(model.key("3") != nullptr);
        QCOMPARE(model.key("3")->userId, "user-3");
        QVERIFY(model.key("2") == nullptr);

        model.setKeys({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(counts.count(), 2);
        QVERIFY(!model.data(model.index(0), SharedKeyListModel::NameRole).isValid());
    }
};

QTEST_GUILESS_MAIN(TestSharedKeyListModel)
#include "test_shared_key_list_model.moc"
