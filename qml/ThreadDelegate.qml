import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// One thread in the sidebar: click opens it; the menu renames, pins or deletes it.
ItemDelegate {
    id: root

    required property int index
    required property string conversationId
    required property string title
    required property bool pinned
    required property string snippet
    required property ConversationListModel threads
    required property ChatController chat
    property bool renaming: false

    highlighted: conversationId === chat.conversationId
    Accessible.name: title
    onClicked: chat.openConversation(conversationId)

    contentItem: RowLayout {
        spacing: 4
        ColumnLayout {
            Layout.fillWidth: true
            spacing: 0
            Label {
                Layout.fillWidth: true
                visible: !root.renaming
                text: (root.pinned ? "★ " : "") + root.title
                elide: Text.ElideRight
            }
            TextField {
                id: renameField
                Layout.fillWidth: true
                visible: root.renaming
                text: root.title
                onAccepted: {
                    root.threads.rename(root.conversationId, text)
                    root.renaming = false
                }
                Keys.onEscapePressed: root.renaming = false
                onActiveFocusChanged: if (!activeFocus) root.renaming = false
            }
            Label {
                Layout.fillWidth: true
                visible: root.snippet !== ""
                text: root.snippet
                opacity: 0.7
                font.pointSize: 8
                elide: Text.ElideRight
            }
        }
        ToolButton {
            text: "⋯"
            Accessible.name: qsTr("Thread actions")
            onClicked: menu.popup()
        }
    }

    Menu {
        id: menu
        MenuItem {
            text: qsTr("Rename")
            onTriggered: {
                root.renaming = true
                renameField.forceActiveFocus()
                renameField.selectAll()
            }
        }
        MenuItem {
            text: root.pinned ? qsTr("Unpin") : qsTr("Pin")
            onTriggered: root.threads.setPinned(root.conversationId, !root.pinned)
        }
        MenuItem {
            text: qsTr("Delete")
            onTriggered: root.threads.remove(root.conversationId)
        }
    }
}
