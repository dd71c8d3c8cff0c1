import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An element of a parsed request body: its local name (any namespace prefix dropped), its
/// character data and its child elements in order.
struct XMLElementNode: Sendable, Equatable {
    var name: String
    var text: String
    var children: [XMLElementNode]

    /// The first child named `name`.
    func child(_ name: String) -> XMLElementNode? {
        children.first { $0.name == name }
    }

    /// Every child named `name`.
    func children(named name: String) -> [XMLElementNode] {
        children.filter { $0.name == name }
    }

    /// The text of the first child named `name`.
    func childText(_ name: String) -> String? {
        child(name)?.text
    }
}

/// Reads the small XML documents S3 requests carry (CreateBucketConfiguration, Delete,
/// CompleteMultipartUpload) into ``XMLElementNode`` trees with Foundation's `XMLParser`.
enum XMLDocumentParser {
    /// The largest request document accepted.
    static let defaultLimit = 1 << 20

    /// Parses `bytes`; throws ``S3Error`` `MalformedXML` when it is not well-formed XML.
    static func parse(_ bytes: [UInt8]) throws(S3Error) -> XMLElementNode {
        let parser = XMLParser(data: Data(bytes))
        let builder = TreeBuilder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), !builder.failed, let root = builder.root else {
            throw S3Error.malformedXML()
        }
        return root
    }

    /// `XMLParser` delegate that assembles the element tree.
    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [XMLElementNode] = []
        var root: XMLElementNode?
        var failed = false
        /// Nesting deeper than this is refused (no S3 document comes close).
        let maxDepth = 32

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            guard root == nil, stack.count < maxDepth else {
                failed = true
                parser.abortParsing()
                return
            }
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            stack.append(XMLElementNode(name: local, text: "", children: []))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let node = stack.popLast() else {
                failed = true
                parser.abortParsing()
                return
            }
            if stack.isEmpty {
                root = node
            } else {
                stack[stack.count - 1].children.append(node)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            failed = true
        }
    }
}
