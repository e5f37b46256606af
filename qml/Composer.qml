import QtQuick
import QtQuick.Controls
import QtQuick.Dialogs
import QtQuick.Layouts
import Parley.Core

// Where the user writes: Enter sends, Shift+Enter starts a new line, Up (in an empty box) edits
// the last message; files come by the Attach button or by drag-and-drop and show as chips; while
// an answer streams the Send button becomes Stop.
Pane {
    id: root

    required property ChatController chat
    required property bool ready
    property string editingMessageId: ""

    signal sent()

    function startEdit(messageId: string, text: string): void {
        editingMessageId = messageId
        input.text = text
        input.cursorPosition = input.length
        input.forceActiveFocus()
    }

    function submit(): void {
        if (root.chat.streaming)
            return
        if (editingMessageId !== "") {
            root.chat.edit(editingMessageId, input.text)
            editingMessageId = ""
            input.clear()
            root.sent()
        } else if (root.chat.send(input.text)) {
            input.clear()
            root.sent()
        }
    }

    padding: 8
    contentHeight: layout.implicitHeight
    background: Rectangle {
        radius: 12
        color: root.palette.base
        border.color: drop.containsDrag ? root.palette.link : root.palette.mid
        border.width: drop.containsDrag ? 2 : 1
    }

    DropArea {
        id: drop
        anchors.fill: parent
        onDropped: (event) => {
            for (const url of event.urls)
                root.chat.attachments.addFile(url)
            event.acceptProposedAction()
        }
    }

    FileDialog {
        id: fileDialog
        title: qsTr("Attach files")
        fileMode: FileDialog.OpenFiles
        nameFilters: [qsTr("Documents (*.pdf *.txt *.md *.markdown *.c *.cc *.cpp *.h *.hpp *.py *.js *.ts *.rs *.go *.java *.json *.yaml *.yml *.toml *.sh *.qml *.html *.css *.sql)"),
                      qsTr("All files (*)")]
        onAccepted: {
            for (const url of selectedFiles)
                root.chat.attachments.addFile(url)
        }
    }

    ColumnLayout {
        id: layout
        width: root.availableWidth
        spacing: 6

        Flow {
            Layout.fillWidth: true
            visible: root.chat.attachments.count > 0
            spacing: 6
            Repeater {
                model: root.chat.attachments
                AttachmentChip {
                    required property int index
                    required property string status
                    required property string error
                    objectName: "composerChip"
                    errorText: error
                    reading: status === "reading"
                    removable: true
                    onRemoveRequested: root.chat.attachments.remove(index)
                }
            }
        }

        Label {
            visible: root.editingMessageId !== ""
            text: qsTr("Editing a message: Enter sends it as a new version, Esc cancels")
            opacity: 0.7
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 6

            ToolButton {
                objectName: "attachButton"
                text: qsTr("Attach")
                Accessible.name: qsTr("Attach files")
                onClicked: fileDialog.open()
            }
            ScrollView {
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(Math.max(input.implicitHeight, 36), 200)
                TextArea {
                    id: input
                    objectName: "composerInput"
                    placeholderText: root.ready ? qsTr("Message Parley") : qsTr("Waiting for the model…")
                    wrapMode: TextEdit.Wrap
                    focus: true
                    background: null
                    Keys.onPressed: (event) => {
                        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                                && !(event.modifiers & Qt.ShiftModifier)) {
                            root.submit()
                            event.accepted = true
                        } else if (event.key === Qt.Key_Up && input.length === 0) {
                            const last = root.chat.lastUserMessageId()
                            if (last !== "") {
                                root.startEdit(last, root.chat.messageText(last))
                                event.accepted = true
                            }
                        } else if (event.key === Qt.Key_Escape && root.editingMessageId !== "") {
                            root.editingMessageId = ""
                            input.clear()
                            event.accepted = true
                        }
                    }
                }
            }
            Button {
                objectName: root.chat.streaming ? "stopButton" : "sendButton"
                text: root.chat.streaming ? qsTr("Stop") : qsTr("Send")
                enabled: root.chat.streaming || (root.ready && !root.chat.attachments.busy
                                                 && (input.length > 0 || root.chat.attachments.count > 0))
                onClicked: root.chat.streaming ? root.chat.stop() : root.submit()
            }
        }
    }
}
