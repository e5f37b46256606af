import QtQuick
import QtQuick.Controls

// `‹ 2/3 ›`: which of a message's siblings (edits or regenerations) is shown.
Row {
    id: root

    required property int index   // 0-based
    required property int count

    signal stepped(int step)

    spacing: 2
    ToolButton {
        objectName: "previousBranch"
        text: "‹"
        enabled: root.index > 0
        Accessible.name: qsTr("Previous version")
        onClicked: root.stepped(-1)
    }
    Label {
        objectName: "branchLabel"
        anchors.verticalCenter: parent.verticalCenter
        text: (root.index + 1) + "/" + root.count
    }
    ToolButton {
        objectName: "nextBranch"
        text: "›"
        enabled: root.index + 1 < root.count
        Accessible.name: qsTr("Next version")
        onClicked: root.stepped(1)
    }
}
