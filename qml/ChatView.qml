import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// The open thread: its messages (answers stream in), the status line and the composer.
Page {
    id: root

    required property AppSession session
    readonly property ChatController chat: session.chat

    signal modelsRequested()
    signal settingsRequested()
    signal contextRequested(string messageId)

    background: Rectangle { color: root.palette.window }

    header: ToolBar {
        background: Rectangle { color: root.palette.window }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                Layout.fillWidth: true
                text: root.chat.conversationId === "" ? qsTr("New chat") : qsTr("Parley")
                font.bold: true
                elide: Text.ElideRight
            }
            ComboBox {
                id: modelPicker
                objectName: "modelPicker"
                Layout.preferredWidth: 260
                model: [qsTr("Default model")].concat(root.session.models.loadedModels)
                onActivated: (i) => root.chat.model = i === 0 ? "" : currentText
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Model for this thread's next answers")
            }
            ToolButton {
                objectName: "themeButton"
                text: root.session.darkTheme ? "☀" : "☾"
                Accessible.name: qsTr("Switch light or dark theme")
                onClicked: root.session.settings.theme = root.session.darkTheme
                           ? AppSettings.Light : AppSettings.Dark
            }
            ToolButton {
                objectName: "modelsButton"
                text: qsTr("Models")
                onClicked: root.modelsRequested()
            }
            ToolButton {
                objectName: "settingsButton"
                text: qsTr("Settings")
                onClicked: root.settingsRequested()
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ListView {
            id: messageList
            objectName: "messageList"
            property bool following: true

            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 14
            topMargin: 12
            bottomMargin: 12
            model: root.chat.messages
            reuseItems: true
            cacheBuffer: 800
            delegate: MessageDelegate {
                width: messageList.width
                chat: root.chat
                onContextRequested: (messageId) => root.contextRequested(messageId)
                onEditRequested: (messageId, text) => composer.startEdit(messageId, text)
            }
            onMovementEnded: following = atYEnd
            onContentHeightChanged: if (following) positionViewAtEnd()
            onCountChanged: if (following) positionViewAtEnd()
            ScrollBar.vertical: ScrollBar {}

            Label {
                anchors.centerIn: parent
                visible: messageList.count === 0 && !root.chat.loading
                text: root.session.ready ? qsTr("How can I help?") : root.session.statusText
                font.pixelSize: 24
                opacity: 0.6
            }
            BusyIndicator {
                anchors.centerIn: parent
                running: root.chat.loading
            }
        }

        Label {
            objectName: "statusLine"
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            visible: text !== ""
            text: root.chat.errorText !== "" ? root.chat.errorText : root.session.statusText
            color: root.chat.errorText !== "" ? "#d1242f" : root.palette.windowText
            wrapMode: Text.Wrap
        }

        Composer {
            id: composer
            Layout.fillWidth: true
            Layout.margins: 8
            chat: root.chat
            ready: root.session.ready
            onSent: messageList.following = true
        }
    }
}
