/// Typed reads from a profile's JSON form, with errors that name the profile and the key.
struct ProfileReader {
    var profile: String

    func object(_ value: JSONValue?, key: String, allowed: [String]?) throws(HostedConfigurationError) -> [String: JSONValue] {
        guard let value else {
            throw .missing(profile: profile, key: key, example: "\(key): {...}")
        }
        guard let members = value.objectValue else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "a mapping")
        }
        if let allowed {
            for name in members.keys.sorted() where !allowed.contains(name) {
                throw .unknownKey(profile: profile, key: "\(key).\(name)", allowed: allowed)
            }
        }
        return members
    }

    func string(_ members: [String: JSONValue], _ key: String, field: String? = nil, example: String) throws(HostedConfigurationError) -> String {
        let name = field ?? key
        guard let value = members[name], !value.isNull else {
            throw .missing(profile: profile, key: key, example: example)
        }
        guard let text = value.stringValue, !text.isEmpty else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "a non-empty text")
        }
        return text
    }

    func optionalString(_ members: [String: JSONValue], _ key: String) -> String? {
        members[key]?.stringValue
    }

    func strings(_ value: JSONValue?, key: String) throws(HostedConfigurationError) -> [String] {
        guard let value, !value.isNull else { return [] }
        if let text = value.stringValue { return [text] }
        guard let items = value.arrayValue else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "a list of texts")
        }
        var texts: [String] = []
        for item in items {
            guard let text = item.stringValue else {
                throw .invalid(profile: profile, key: key, value: item.serializedString, expected: "a text")
            }
            texts.append(text)
        }
        return texts
    }

    func stringMap(_ value: JSONValue?, key: String) throws(HostedConfigurationError) -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        var map: [String: String] = [:]
        for (name, item) in try object(value, key: key, allowed: nil) {
            guard let text = item.stringValue else {
                throw .invalid(profile: profile, key: "\(key).\(name)", value: item.serializedString, expected: "a text")
            }
            map[name] = text
        }
        return map
    }

    func number(_ value: JSONValue?, key: String, range: ClosedRange<Double>) throws(HostedConfigurationError) -> Double? {
        guard let value else { return nil }
        guard let number = value.doubleValue, range.contains(number) else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func integer(_ value: JSONValue?, key: String, range: ClosedRange<Int>) throws(HostedConfigurationError) -> Int? {
        guard let value else { return nil }
        guard let number = value.integerValue, range.contains(Int(number)) else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }

    func bool(_ value: JSONValue?, key: String) throws(HostedConfigurationError) -> Bool? {
        guard let value else { return nil }
        guard let flag = value.boolValue else {
            throw .invalid(profile: profile, key: key, value: value.serializedString, expected: "true or false")
        }
        return flag
    }
}
