/// ShardTrain's version: `shardtrain --version`, and recorded in checkpoints and summary.json.
public enum ShardTrainVersion {
    public static let string = "0.1.0"
}
