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
                objectName: "threadTitle"
                text: root.chat.conversationId === "" ? qsTr("New chat")
                      : root.chat.title !== "" ? root.chat.title : qsTr("Parley")
                font.bold: true
                elide: Text.ElideRight
            }
            ComboBox {
                id: modelPicker
                objectName: "modelPicker"
                // The thread's model is listed even when it is not loaded now, so that the
                // picker shows what the thread asks for.
                readonly property var choices: {
                    const loaded = root.session.models.loadedModels
                    const chosen = root.chat.model
                    const missing = chosen !== "" && loaded.indexOf(chosen) < 0 ? [chosen] : []
                    return [qsTr("Default model")].concat(loaded).concat(missing)
                }
                Layout.preferredWidth: 260
                model: choices
                onActivated: (i) => root.chat.model = i === 0 ? "" : currentText
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Model for this thread's next answers")
                // Follows the open thread's model; a Binding survives the user's own choice.
                Binding on currentIndex {
                    value: root.chat.model === "" ? 0
                                                  : modelPicker.choices.indexOf(root.chat.model)
                }
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
            // Stays at the newest message while it grows, until the user moves away from the end
            // (wheel, drag, flick or the scroll bar); back at the end, it follows again.
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
            onMovementStarted: following = false
            onMovementEnded: following = atYEnd
            onContentHeightChanged: if (following) positionViewAtEnd()
            onCountChanged: if (following) positionViewAtEnd()

            Connections {
                target: root.chat
                function onConversationOpened() {
                    messageList.following = true
                    messageList.positionViewAtEnd()
                }
            }
            Binding {
                target: root.chat.messages
                property: "viewMoving"
                value: messageList.moving || messageList.ScrollBar.vertical.pressed
            }
            ScrollBar.vertical: ScrollBar {
                objectName: "messageScrollBar"
                onPressedChanged: messageList.following = !pressed && messageList.atYEnd
            }

            Label {
                anchors.centerIn: parent
                width: Math.min(implicitWidth, parent.width - 48)
                visible: messageList.count === 0 && !root.chat.loading
                text: root.session.ready ? qsTr("How can I help?") : root.session.statusText
                font.pixelSize: 24
                opacity: 0.6
                wrapMode: Text.Wrap
                horizontalAlignment: Text.AlignHCenter
            }
            BusyIndicator {
                anchors.centerIn: parent
                running: root.chat.loading
                visible: running  // no fading ring over the thread once it is open
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
