import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// The threads: new chat, search across all threads, the list grouped by date, undo of a delete.
Pane {
    id: root

    required property ConversationListModel threads
    required property ChatController chat

    padding: 8
    background: Rectangle { color: root.palette.alternateBase }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Button {
            objectName: "newChatButton"
            Layout.fillWidth: true
            text: qsTr("New chat")
            onClicked: root.chat.newConversation()
        }
        TextField {
            id: search
            objectName: "searchField"
            Layout.fillWidth: true
            placeholderText: qsTr("Search all threads")
            onTextChanged: root.threads.searchText = text
            Keys.onDownPressed: threadList.forceActiveFocus()
        }
        ListView {
            id: threadList
            objectName: "threadList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.threads
            keyNavigationEnabled: true
            currentIndex: root.threads.rowOf(root.chat.conversationId)
            section.property: "section"
            section.delegate: Label {
                required property string section
                text: section
                font.bold: true
                opacity: 0.7
                topPadding: 8
                bottomPadding: 2
            }
            delegate: ThreadDelegate {
                width: threadList.width
                threads: root.threads
                chat: root.chat
            }
            Keys.onReturnPressed: root.chat.openConversation(root.threads.idAt(currentIndex))
            Keys.onDeletePressed: root.threads.remove(root.threads.idAt(currentIndex))
        }
        Label {
            Layout.fillWidth: true
            visible: root.threads.errorText !== ""
            text: root.threads.errorText
            color: "#d1242f"
            wrapMode: Text.Wrap
        }
        Pane {
            Layout.fillWidth: true
            visible: root.threads.canUndoDelete
            padding: 4
            RowLayout {
                anchors.fill: parent
                Label {
                    Layout.fillWidth: true
                    text: qsTr("Deleted “%1”").arg(root.threads.pendingDeleteTitle)
                    elide: Text.ElideRight
                }
                Button {
                    objectName: "undoDeleteButton"
                    text: qsTr("Undo")
                    onClicked: root.threads.undoDelete()
                }
            }
        }
    }
}
