import QtQuick
import QtTest
import Parley

Item {
    width: 300
    height: 100

    BranchSwitcher {
        id: switcher
        index: 1
        count: 3
    }
    SignalSpy {
        id: stepped
        target: switcher
        signalName: "stepped"
    }

    TestCase {
        name: "BranchSwitcher"
        when: windowShown

        function init() {
            switcher.index = 1
            stepped.clear()
        }

        function test_showsOneBasedPlace() {
            compare(findChild(switcher, "branchLabel").text, "2/3")
        }

        function test_arrowsStepBothWays() {
            mouseClick(findChild(switcher, "nextBranch"))
            mouseClick(findChild(switcher, "previousBranch"))
            compare(stepped.count, 2)
            compare(stepped.signalArguments[0][0], 1)
            compare(stepped.signalArguments[1][0], -1)
        }

        function test_endsCannotStepFurther() {
            switcher.index = 0
            verify(!findChild(switcher, "previousBranch").enabled)
            verify(findChild(switcher, "nextBranch").enabled)
            switcher.index = 2
            verify(!findChild(switcher, "nextBranch").enabled)
            mouseClick(findChild(switcher, "nextBranch"))
            compare(stepped.count, 0)
        }
    }
}
