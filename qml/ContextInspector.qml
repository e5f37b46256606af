import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Parley.Core

// What went into an answer's prompt (system prompt, summary, turns, files, memory, documents),
// how many tokens each took, and what was cut to fit the model's window.
Dialog {
    id: root

    required property ChatController chat
    readonly property var report: chat.contextReport

    title: qsTr("Context of this answer")
    modal: true
    width: 520
    height: 460
    standardButtons: Dialog.Close

    ColumnLayout {
        anchors.fill: parent
        spacing: 6
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            text: root.report.model === undefined ? qsTr("Loading…")
                  : qsTr("%1: %2 of %3 tokens used, %4 kept for the answer")
                        .arg(root.report.model).arg(root.report.promptTokens)
                        .arg(root.report.contextTokens).arg(root.report.reservedTokens)
        }
        ListView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.report.parts === undefined ? [] : root.report.parts
            delegate: RowLayout {
                required property var modelData
                width: ListView.view.width
                Label {
                    text: modelData.kind
                    font.bold: true
                    Layout.preferredWidth: 110
                }
                Label {
                    Layout.fillWidth: true
                    text: modelData.label
                    elide: Text.ElideRight
                    font.strikeout: !modelData.included
                }
                Label {
                    text: modelData.included ? qsTr("%1 tokens").arg(modelData.tokens)
                                             : qsTr("cut (%1 tokens)").arg(modelData.tokens)
                    opacity: 0.7
                }
            }
        }
    }
}
