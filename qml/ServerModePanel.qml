import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// Server mode at work: where others reach this app or why it is not running, and API keys to
// share: made here (the secret shown once), listed, and revoked.
ColumnLayout {
    id: root

    required property ServerMode server

    spacing: 6

    Label {
        objectName: "serverState"
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        text: {
            switch (root.server.state) {
            case ServerMode.Starting: return qsTr("Starting…")
            case ServerMode.Listening: return qsTr("Listening. Others reach this app at:")
            case ServerMode.Stopping: return qsTr("Stopping…")
            case ServerMode.Failed: return qsTr("Not running.")
            default: return qsTr("Off: nothing on this machine listens for other clients.")
            }
        }
    }
    Label {
        objectName: "serverError"
        Layout.fillWidth: true
        visible: root.server.state === ServerMode.Failed
        text: root.server.errorText
        color: "#d1242f"
        wrapMode: Text.Wrap
    }
    RowLayout {
        Layout.fillWidth: true
        visible: root.server.state === ServerMode.Listening
        TextField {
            id: urlField
            objectName: "serverUrl"
            Layout.fillWidth: true
            readOnly: true
            selectByMouse: true
            text: root.server.url
        }
        Button {
            text: qsTr("Copy")
            onClicked: { urlField.selectAll(); urlField.copy(); urlField.deselect() }
        }
    }
    RowLayout {
        Layout.fillWidth: true
        visible: root.server.state === ServerMode.Listening
        TextField {
            id: keyNameField
            Layout.fillWidth: true
            placeholderText: qsTr("Who the key is for (optional)")
        }
        Button {
            objectName: "createKeyButton"
            text: qsTr("Create an API key to share")
            onClicked: root.server.createSharedKey(keyNameField.text)
        }
    }
    RowLayout {
        Layout.fillWidth: true
        visible: root.server.sharedKey !== ""
        TextField {
            id: keyField
            objectName: "sharedKey"
            Layout.fillWidth: true
            readOnly: true
            selectByMouse: true
            font.family: "monospace"
            text: root.server.sharedKey
        }
        Button {
            text: qsTr("Copy")
            onClicked: { keyField.selectAll(); keyField.copy(); keyField.deselect() }
        }
    }
    Label {
        Layout.fillWidth: true
        visible: root.server.sharedKey !== ""
        wrapMode: Text.Wrap
        opacity: 0.7
        text: qsTr("Shown once: copy it now. Its holder connects with the address above and "
                   + "this key (Parley's remote server setting, or Authorization: Bearer KEY "
                   + "for the OpenAI-compatible API).")
    }
    Label {
        Layout.fillWidth: true
        visible: root.server.state === ServerMode.Listening
        font.bold: true
        text: root.server.sharedKeys.count === 0 ? qsTr("No API keys shared yet.")
                                                 : qsTr("Shared API keys")
    }
    Repeater {
        objectName: "sharedKeyList"
        model: root.server.sharedKeys
        delegate: RowLayout {
            id: keyRow
            required property string keyId
            required property string name
            required property string prefix
            required property date createdAt
            objectName: "sharedKeyRow"
            Layout.fillWidth: true
            Label {
                Layout.fillWidth: true
                elide: Text.ElideRight
                text: qsTr("%1 · %2… · made %3").arg(keyRow.name).arg(keyRow.prefix)
                      .arg(keyRow.createdAt.toLocaleString(Qt.locale(), Locale.ShortFormat))
            }
            Button {
                objectName: "revokeKeyButton"
                text: qsTr("Revoke")
                ToolTip.visible: hovered
                ToolTip.text: qsTr("The key stops working at once")
                onClicked: root.server.revokeSharedKey(keyRow.keyId)
            }
        }
    }
    Label {
        Layout.fillWidth: true
        visible: root.server.sharedKeyError !== ""
        text: root.server.sharedKeyError
        color: "#d1242f"
        wrapMode: Text.Wrap
    }
}
