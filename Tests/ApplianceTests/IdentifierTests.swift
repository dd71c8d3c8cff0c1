import Appliance
import Foundation
import Testing

@Suite struct IdentifierTests {
    @Test func idsMadeInOneMillisecondSortInCreationOrder() {
        let instant = Date()
        let ids = (0..<1000).map { _ in Identifier.make("core", at: instant) }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
    }

    @Test func idsSortByTimeAcrossMilliseconds() {
        let earlier = Identifier.make("core", at: Date(timeIntervalSince1970: 1_000_000))
        let later = Identifier.make("core", at: Date(timeIntervalSince1970: 2_000_000_000))
        #expect(earlier < later)
    }

    @Test func shapeIsCheckedStrictly() {
        let id = Identifier.make("core")
        #expect(Identifier.isWellFormed(id, prefix: "core"))
        #expect(!Identifier.isWellFormed(id, prefix: "tenant"))
        #expect(!Identifier.isWellFormed(id + "0", prefix: "core"))
        #expect(!Identifier.isWellFormed("core_" + String(repeating: "I", count: 26), prefix: "core"))
        #expect(!Identifier.isWellFormed("core_../../../../etc/passwd_______", prefix: "core"))
    }
}
