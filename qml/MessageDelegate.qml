import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// One message: a user bubble (with its attached files) or an answer rendered from Markdown,
// with the branch switcher, the answer's details and its actions.
Item {
    id: root

    required property int index
    required property string messageId
    required property string author
    required property string content
    required property string html
    required property bool streaming
    required property bool stopped
    required property string status
    required property int siblingIndex
    required property int siblingCount
    required property string model
    required property int promptTokens
    required property int completionTokens
    required property int ttftMs
    required property double tokensPerSecond
    required property string finishReason
    required property var attachments
    required property string error
    required property ChatController chat
    readonly property bool isUser: author === "user"

    signal contextRequested(string messageId)
    signal editRequested(string messageId, string text)

    implicitHeight: column.implicitHeight

    ColumnLayout {
        id: column
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.leftMargin: root.isUser ? Math.max(60, parent.width * 0.25) : 16
        anchors.rightMargin: 16
        spacing: 4

        Flow {
            Layout.alignment: Qt.AlignRight
            visible: root.attachments.length > 0
            spacing: 4
            Repeater {
                model: root.attachments
                AttachmentChip {
                    required property string modelData
                    name: modelData
                }
            }
        }

        Rectangle {
            Layout.alignment: root.isUser ? Qt.AlignRight : Qt.AlignLeft
            Layout.fillWidth: !root.isUser
            Layout.preferredWidth: root.isUser ? Math.min(body.implicitWidth + 24, column.width)
                                               : column.width
            implicitHeight: body.implicitHeight + (root.isUser ? 16 : 0)
            radius: 12
            color: root.isUser ? root.palette.button : "transparent"

            Label {
                id: body
                objectName: "messageBody"
                anchors.fill: parent
                anchors.margins: root.isUser ? 8 : 0
                text: root.html
                textFormat: Text.RichText
                linkColor: root.palette.link
                wrapMode: Text.Wrap
                onLinkActivated: (link) => root.chat.activateLink(root.index, link)
                HoverHandler {
                    cursorShape: body.hoveredLink !== "" ? Qt.PointingHandCursor : Qt.IBeamCursor
                }
                ToolTip.visible: body.hoveredLink !== "" && !body.hoveredLink.startsWith("parley-")
                ToolTip.text: qsTr("%1 (not opened by Parley)").arg(body.hoveredLink)
            }
        }

        Label {
            visible: root.error !== ""
            text: root.error
            color: "#d1242f"
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }

        RowLayout {
            Layout.alignment: root.isUser ? Qt.AlignRight : Qt.AlignLeft
            spacing: 6

            BranchSwitcher {
                visible: root.siblingCount > 1
                index: root.siblingIndex
                count: root.siblingCount
                onStepped: (step) => root.chat.switchBranch(root.index, step)
            }
            Label {
                objectName: "stoppedTag"
                visible: root.stopped
                text: qsTr("Stopped")
                color: "#bf8700"
                font.bold: true
            }
            AnswerDetails {
                visible: !root.isUser && !root.streaming
                model: root.model
                promptTokens: root.promptTokens
                completionTokens: root.completionTokens
                ttftMs: root.ttftMs
                tokensPerSecond: root.tokensPerSecond
            }
            ToolButton {
                visible: !root.streaming
                text: qsTr("Copy")
                onClicked: root.chat.copyMessage(root.index)
            }
            ToolButton {
                objectName: "editButton"
                visible: root.isUser
                text: qsTr("Edit")
                onClicked: root.editRequested(root.messageId, root.content)
            }
            ToolButton {
                objectName: "regenerateButton"
                visible: !root.isUser && !root.streaming
                text: qsTr("Regenerate")
                onClicked: root.chat.regenerate(root.messageId)
            }
            ToolButton {
                visible: !root.isUser && !root.streaming
                         && (root.finishReason === "length" || root.stopped)
                text: qsTr("Continue")
                onClicked: root.chat.continueAnswer(root.messageId)
            }
            ToolButton {
                objectName: "contextButton"
                visible: !root.isUser && !root.streaming
                text: qsTr("Context")
                onClicked: root.contextRequested(root.messageId)
            }
        }
    }
}
