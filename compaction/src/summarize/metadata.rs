//! Key-wise merge of JSON metadata objects.

use serde_json::{Map, Value};

/// Merges metadata values, given in time order, into one JSON object:
/// - `null` inputs are skipped; a non-object input counts as `{"value": it}`;
/// - the reserved key [`super::SPAN_KEY`] is dropped (`assemble` writes it afresh);
/// - a key present in one input, or with equal values everywhere, keeps its value;
/// - when every value of a key is an object, they are merged recursively by these rules;
/// - otherwise the key holds an array of its *distinct* values in first-seen (time) order.
///   A value that was already an array is one element of that array, so a reader sees a
///   conflict as an array of alternatives.
pub fn merge_metadata<'a>(values: impl IntoIterator<Item = &'a Value>) -> Value {
    let objects: Vec<Map<String, Value>> = values
        .into_iter()
        .filter(|v| !v.is_null())
        .map(|v| match v {
            Value::Object(m) => {
                let mut m = m.clone();
                m.remove(super::SPAN_KEY); // recomputed by `assemble`, never a conflict
                m
            }
            other => Map::from_iter([("value".to_string(), other.clone())]),
        })
        .collect();
    Value::Object(merge_objects(&objects))
}

fn merge_objects(objects: &[Map<String, Value>]) -> Map<String, Value> {
    // Key order: first seen (serde_json's Map is sorted unless preserve_order; either is fine).
    let mut keys: Vec<&String> = Vec::new();
    for o in objects {
        for k in o.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut out = Map::new();
    for k in keys {
        let vals: Vec<&Value> = objects.iter().filter_map(|o| o.get(k)).collect();
        out.insert(k.clone(), merge_values(&vals));
    }
    out
}

fn merge_values(vals: &[&Value]) -> Value {
    let mut distinct: Vec<&Value> = Vec::new();
    for v in vals {
        if !distinct.contains(v) {
            distinct.push(v);
        }
    }
    match distinct.as_slice() {
        [] => Value::Null,
        [one] => (*one).clone(),
        many if many.iter().all(|v| v.is_object()) => {
            let objs: Vec<Map<String, Value>> =
                many.iter().filter_map(|v| v.as_object().cloned()).collect();
            Value::Object(merge_objects(&objs))
        }
        many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_and_collects_conflicts() {
        let a = json!({"lang": "de", "city": "Berlin", "n": {"x": 1, "y": 2}});
        let b = json!({"lang": "de", "city": "Munich", "n": {"x": 1, "y": 3}, "new": true});
        let c = json!({"city": "Berlin"});
        let merged = merge_metadata([&a, &Value::Null, &b, &c]);
        assert_eq!(
            merged,
            json!({"lang": "de", "city": ["Berlin", "Munich"], "n": {"x": 1, "y": [2, 3]},
                   "new": true})
        );
        assert_eq!(merge_metadata([&json!(5), &json!(5)]), json!({"value": 5}));
        assert_eq!(merge_metadata([]), json!({}));
        // Arrays that conflict become elements of the conflict array.
        assert_eq!(
            merge_metadata([&json!({"t": [1]}), &json!({"t": [2]})]),
            json!({"t": [[1], [2]]})
        );
    }
}
