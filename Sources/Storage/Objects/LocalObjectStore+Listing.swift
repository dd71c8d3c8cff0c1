extension LocalObjectStore {
    /// Lists in exact byte order of the keys. The index is in that order except inside a group of
    /// long keys that share their indexed bytes (``LocalObjectIndex``): such a group is read
    /// whole and sorted before its keys are listed. Entries at or before `after` are skipped, and
    /// so is every key that rolls up into a common prefix at or before `after`.
    public func listObjects(bucket: String, tenant: String, prefix: String, delimiter: String?, after: String?, maxKeys: Int) async throws -> ObjectListing {
        let bucketPrefix = LocalObjectIndex.bucketPrefix(bucket)
        let prefixBytes = Array(prefix.utf8)
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let afterBytes = after.map { Array($0.utf8) } ?? []
        let limit = max(0, min(maxKeys, 1000))
        // Index keys that can hold matches start with the (indexable part of the) prefix.
        let scanPrefix = bucketPrefix + prefixBytes.prefix(LocalObjectIndex.keyBytesInIndex)

        /// The common prefix `key` rolls up into, if any.
        func rollUp(_ key: [UInt8]) -> [UInt8]? {
            guard let delimiterBytes, let range = firstRange(of: delimiterBytes, in: key[prefixBytes.count...]) else { return nil }
            return Array(key[..<range.upperBound])
        }

        // A lower bound of where to start in the index.
        var start = scanPrefix
        if !afterBytes.isEmpty {
            let afterIndex = bucketPrefix + Array(afterBytes.prefix(LocalObjectIndex.keyBytesInIndex))
            if start.lexicographicallyPrecedes(afterIndex) { start = afterIndex }
        }

        return try environment.read { transaction in
            _ = try Self.ownedBucket(bucket, tenant, transaction, buckets)
            var found: [ObjectInfo] = []
            var prefixes: [String] = []
            var truncated = false
            var lastReturned: String?
            var lastGroup: [UInt8]?
            var done = false

            /// Takes one entry in key order; answers where to seek next (nil: go on scanning).
            func take(_ key: [UInt8], _ record: () throws -> LocalObjectIndex.ObjectRecord) throws -> [UInt8]? {
                guard key.starts(with: prefixBytes) else { return nil }
                if let group = rollUp(key) {
                    if group == lastGroup { return nil }
                    if !afterBytes.isEmpty, !afterBytes.lexicographicallyPrecedes(group) {
                        // The group is at or before `after`: skip all of it.
                        lastGroup = group
                        return group.count <= LocalObjectIndex.keyBytesInIndex ? LocalObjectIndex.successor(bucketPrefix + group) : nil
                    }
                    if found.count + prefixes.count >= limit { truncated = true; done = true; return nil }
                    lastGroup = group
                    let name = String(decoding: group, as: UTF8.self)
                    prefixes.append(name)
                    lastReturned = name
                    return group.count <= LocalObjectIndex.keyBytesInIndex ? LocalObjectIndex.successor(bucketPrefix + group) : nil
                }
                if !afterBytes.isEmpty, !afterBytes.lexicographicallyPrecedes(key) { return nil }
                if found.count + prefixes.count >= limit { truncated = true; done = true; return nil }
                let info = try record().info
                found.append(info)
                lastReturned = info.key
                return nil
            }

            var from: [UInt8]? = start
            while let scanFrom = from, !done {
                from = nil
                var longGroup: (indexPrefix: [UInt8], entries: [LocalObjectIndex.ObjectRecord])?
                /// Lists a gathered group of long keys in key order.
                func flushLongGroup() throws -> [UInt8]? {
                    guard let group = longGroup else { return nil }
                    longGroup = nil
                    for entry in group.entries.sorted(by: { $0.info.key.utf8.lexicographicallyPrecedes($1.info.key.utf8) }) where !done {
                        _ = try take(Array(entry.info.key.utf8)) { entry }
                    }
                    return nil
                }
                try transaction.scan(objects, from: scanFrom) { indexKey, value in
                    guard indexKey.starts(with: scanPrefix), !done else { return false }
                    let part = indexKey.dropFirst(bucketPrefix.count)
                    if LocalObjectIndex.isLongKeyPart(part) {
                        let groupPrefix = Array(indexKey.prefix(bucketPrefix.count + LocalObjectIndex.keyBytesInIndex + 1))
                        if longGroup?.indexPrefix != groupPrefix { _ = try flushLongGroup() }
                        if longGroup == nil { longGroup = (groupPrefix, []) }
                        longGroup?.entries.append(try LocalObjectIndex.ObjectRecord.decode(value, withContent: false))
                        return true
                    }
                    _ = try flushLongGroup()
                    if done { return false }
                    let seek = try take(Array(part)) { try LocalObjectIndex.ObjectRecord.decode(value, withContent: false) }
                    if let seek, !done {
                        from = seek
                        return false
                    }
                    return !done
                }
                if !done { _ = try flushLongGroup() }
            }
            return ObjectListing(objects: found, commonPrefixes: prefixes, isTruncated: truncated, nextAfter: truncated ? lastReturned : nil)
        }
    }
}

/// The first occurrence of `needle` in `haystack`.
private func firstRange(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Range<Int>? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    var index = haystack.startIndex
    while index + needle.count <= haystack.endIndex {
        if haystack[index] == needle[0], haystack[index..<index + needle.count].elementsEqual(needle) { return index..<index + needle.count }
        index += 1
    }
    return nil
}
